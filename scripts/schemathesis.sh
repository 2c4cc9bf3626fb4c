#!/usr/bin/env bash
# Property-based API test of the live HTTP shim with schemathesis (PyPI), driven
# by the kernel's own /api/v1/openapi.json. Fails on any 5xx or any response
# that violates the documented schema. Called by `make test`.
#
# Usage: scripts/schemathesis.sh [path-to-mcpk]   (MCPK_BIN also works)
# Env:   SCHEMATHESIS_MAX_EXAMPLES (default 25), SCHEMATHESIS_VENV (default .build/schemathesis-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
MCPK="${1:-${MCPK_BIN:-.build/debug/mcpk}}"
VENV="${SCHEMATHESIS_VENV:-$PWD/.build/schemathesis-venv}"
VERSION="4.32.5"
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi
HOME_DIR="$(mktemp -d /tmp/mcpk-st-XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MCPK_HOME="$HOME_DIR" MCPK_HTTP="127.0.0.1:$PORT" MCPK_LOG_LEVEL=warning "$MCPK" serve >"$HOME_DIR.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "kernel did not start:"; cat "$HOME_DIR.log"; exit 1; }

# Streams (SSE) never end on their own and are covered by the live SSE tests; kernel/ping sleeps up to 10 s by
# design (its delay_ms) and is covered by the live pipelining test; runtimes/install may build a venv for minutes
# and is covered by RuntimeProvisioningLiveTests.
set +e
"$VENV/bin/st" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --exclude-path-regex '(/stream$|^/api/v1/events$|^/api/v1/kernel/ping$|^/api/v1/runtimes/install$)' \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --request-timeout 10 \
  --suppress-health-check all \
  --generation-deterministic
rc=$?
set -e
if ! kill -0 "$PID" 2>/dev/null; then
  echo "schemathesis: the kernel died during the run"; tail -50 "$HOME_DIR.log"; rc=1
fi
if [ $rc -ne 0 ]; then echo "--- kernel log (tail)"; tail -30 "$HOME_DIR.log"; fi
rm -f "$HOME_DIR.log"
exit $rc
