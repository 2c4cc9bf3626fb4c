#!/usr/bin/env bash
# HTTP shim throughput: wrk, 64 connections, GET /api/v1/components/{id} (one
# route + dispatcher + store read). Peers measured in the same run on the same
# kernel: GET /healthz (the shim alone, no dispatcher) — and the ratio between them.
# Prints req/s and p99 for each. Usage: bench/http/run.sh [path-to-mcpk]
set -euo pipefail
cd "$(dirname "$0")/../.."
MCPK="${1:-${MCPK_BIN:-.build/release/mcpk}}"
[ -x "$MCPK" ] || swift build -c release --product mcpk >/dev/null
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 1; }
DURATION="${BENCH_DURATION:-10s}"
CONNS=64
THREADS=2
HOME_DIR="$(mktemp -d /tmp/mcpk-bench-http-XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MCPK_HOME="$HOME_DIR" MCPK_HTTP="127.0.0.1:$PORT" MCPK_LOG_LEVEL=warning "$MCPK" serve >"$HOME_DIR.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$HOME_DIR" "$HOME_DIR.log"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# The measured route: a real component when the component methods exist, else kernel.status.
TARGET="/api/v1/kernel/status"
BODY='{"name":"bench-component","description":"wrk target","config":{"type":"Python Script","codeContent":"def main():\n    return 1\n"}}'
CREATED="$(curl -s -X POST -H 'Content-Type: application/json' --data "$BODY" "http://127.0.0.1:$PORT/api/v1/components" || true)"
ID="$(printf '%s' "$CREATED" | python3 -c 'import json,sys
try: d=json.load(sys.stdin); print(d.get("id") or d.get("component",{}).get("id") or "")
except Exception: print("")')"
if [ -n "$ID" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/components/$ID")" = 200 ]; then
  TARGET="/api/v1/components/$ID"
else
  echo "note: component.create unavailable ($CREATED); measuring $TARGET instead"
fi

run() {  # path -> "req/s p99"
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$PORT$1" | python3 -c '
import re, sys
t = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{rps:.0f} {float(m.group(1))*scale:.3f} {errs.group(1) if errs else 0}")'
}
read -r R_RPS R_P99 R_ERR < <(run "$TARGET")
read -r P_RPS P_P99 P_ERR < <(run "/healthz")
echo "GET $TARGET  (${CONNS} conns, $DURATION): ${R_RPS} req/s, p99 ${R_P99} ms, non-2xx ${R_ERR}"
echo "peer GET /healthz (same kernel, no dispatcher): ${P_RPS} req/s, p99 ${P_P99} ms, non-2xx ${P_ERR}"
python3 -c "print(f'ratio route/peer: throughput {${R_RPS}/${P_RPS}:.2f}x, p99 {${R_P99}/max(${P_P99},1e-9):.2f}x')"
