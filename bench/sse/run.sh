#!/usr/bin/env bash
# SSE step-line -> client latency p50/p99 with 100 clients, against one control-socket
# subscriber as the peer (same run, same kernel). Usage: bench/sse/run.sh [path-to-mcpk]
set -euo pipefail
cd "$(dirname "$0")/../.."
MCPK="${1:-${MCPK_BIN:-.build/release/mcpk}}"
[ -x "$MCPK" ] || swift build -c release --product mcpk >/dev/null
HOME_DIR="$(mktemp -d /tmp/mcpk-bench-sse-XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
MCPK_HOME="$HOME_DIR" MCPK_HTTP="127.0.0.1:$PORT" MCPK_LOG_LEVEL=warning "$MCPK" serve >"$HOME_DIR.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$HOME_DIR" "$HOME_DIR.log"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
python3 bench/sse/sse_latency.py "$PORT" "$HOME_DIR/mcpk.sock" "${SSE_CLIENTS:-100}" "${SSE_LINES:-1000}"
