#!/usr/bin/env bash
# Soak (issue 16), not part of `make test`: SOAK_RUNS (default 10000) runs of a mixed workflow
# (sandboxed Python steps, an in-process Utility step, a Data step on the bundled sqlite connector,
# a 5 MiB result passed to a dependant) with SOAK_CLIENTS (default 100) SSE clients reconnecting at
# random with Last-Event-ID, against one real `mcpk serve` per store, MCPK_RETENTION on. Checks
# (bench/soak/soak.py): every client saw every event of its runs exactly once in order, 0 lost,
# 0 duplicate completions, every 5 MiB value intact, RSS and store size bounded, open fds back to
# the idle count. Exits non-zero when a check fails on any store.
#   bench/soak/run.sh [path-to-mcpk]                       SQLite, and PostgreSQL when SOAK_PG_URL
#                                                          (or MCPK_BENCH_PG_URL) names a server
#   SOAK_RUNS=200 SOAK_CLIENTS=10 bench/soak/run.sh         a quick smoke
#   SOAK_STORES=postgres                                   one store only (sqlite,postgres)
# The PostgreSQL kernel gets a fresh database soak_<pid> on that server (dropped afterwards).
# The kernel needs the plugins next to it (a `swift build` dir) and MCPK_PYTHON_RUNTIME.
set -euo pipefail
cd "$(dirname "$0")/../.."
MCPK="$(realpath "${1:-${MCPK_BIN:-.build/release/mcpk}}")"
[ -x "$MCPK" ] || { echo "no mcpk at $MCPK (swift build -c release first, or pass the path)" >&2; exit 2; }
RUNS="${SOAK_RUNS:-10000}"
CLIENTS="${SOAK_CLIENTS:-100}"
AGE="${SOAK_RETENTION_AGE:-30}"
PG_URL="${SOAK_PG_URL:-${MCPK_BENCH_PG_URL:-}}"
STORES="${SOAK_STORES:-sqlite${PG_URL:+,postgres}}"
export SOAK_RETENTION_WAIT="$((AGE + 2))"
# Warm runners (each holds sockets to the kernel) retire this long after their last step, so the
# kernel can be seen back at its idle fd count.
export MCPK_RUNNER_IDLE_SECONDS="${SOAK_RUNNER_IDLE_SECONDS:-5}"
: "${MCPK_PYTHON_RUNTIME:?MCPK_PYTHON_RUNTIME must name the Python runtime venv (make runtime)}"
rc=0
for kind in ${STORES//,/ }; do
  HOME_DIR="$(mktemp -d /tmp/mcpk-bench-soak-XXXXXX)"
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  env_extra=()
  store="sqlite:$HOME_DIR"
  db=""
  if [ "$kind" = postgres ]; then
    [ -n "$PG_URL" ] || { echo "postgres: set SOAK_PG_URL" >&2; exit 2; }
    db="soak_$$"
    PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    url="${PG_URL%/*}/$db"
    env_extra=("DATABASE_URL=$url")
    store="postgres:$url"
  fi
  echo "== soak on $kind: $RUNS runs, $CLIENTS SSE clients, MCPK_RETENTION=runs=${AGE}s,events=${AGE}s,artifacts=${AGE}s,blobs=${AGE}s ($MCPK)"
  env $(env | grep -o '^\(MCPK_[A-Z_]*\|DATABASE_URL\)=' | sed 's/=$//' | grep -v '^MCPK_PYTHON_RUNTIME$' | sed 's/^/-u /') \
    MCPK_HOME="$HOME_DIR" MCPK_HTTP="127.0.0.1:$PORT" MCPK_LOG_LEVEL=warning MCPK_PYTHON_RUNTIME="$MCPK_PYTHON_RUNTIME" \
    MCPK_RUNNER_IDLE_SECONDS="$MCPK_RUNNER_IDLE_SECONDS" \
    MCPK_RETENTION="runs=${AGE}s,events=${AGE}s,artifacts=${AGE}s,blobs=${AGE}s" "${env_extra[@]}" \
    "$MCPK" serve >"$HOME_DIR.log" 2>&1 &
  PID=$!
  cleanup() {
    kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
    rm -rf "$HOME_DIR"
    if [ -n "$db" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; fi
  }
  trap cleanup EXIT
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
  set +e
  SOAK_DATA_DB="$HOME_DIR/data.db" python3 bench/soak/soak.py "$PORT" "$HOME_DIR/mcpk.sock" "$PID" "$store" "$RUNS" "$CLIENTS"
  r=$?
  set -e
  if [ "$r" != 0 ]; then
    rc=1
    echo "soak on $kind FAILED; kernel log tail ($HOME_DIR.log):"; tail -n 40 "$HOME_DIR.log"
  else
    rm -f "$HOME_DIR.log"
  fi
  cleanup
  trap - EXIT
  echo
done
exit $rc
