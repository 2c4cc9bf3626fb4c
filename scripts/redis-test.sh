#!/usr/bin/env bash
# A private Redis server for tests and benchmarks (like scripts/pg-test.sh for PostgreSQL).
#
#   scripts/redis-test.sh start    start redis-server on a private port (no persistence, loopback
#                                  only, data dir under /tmp), write .build/redis-test.env
#   scripts/redis-test.sh stop     stop the server and remove its dir
#   scripts/redis-test.sh restart  stop and start again on the same port (a live test's "Redis went away")
#   scripts/redis-test.sh url      print the URL (redis://127.0.0.1:PORT/0)
#
# Port: $MCPK_TEST_REDIS_PORT or 56379. State file: $MCPK_TEST_REDIS_STATE or .build/redis-test.env.
# Idempotent: `start` on a running server only prints its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${MCPK_TEST_REDIS_PORT:-56379}"
STATE="${MCPK_TEST_REDIS_STATE:-.build/redis-test.env}"
command -v redis-server >/dev/null || { echo "redis-test: redis-server not found (apt-get install redis-server)" >&2; exit 1; }

url() { echo "redis://127.0.0.1:${PORT}/0"; }
alive() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

launch() { # $1: dir
  redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --dir "$1" \
    --daemonize yes --pidfile "$1/redis.pid" --logfile "$1/server.log" >/dev/null
  for _ in $(seq 1 100); do alive && return 0; sleep 0.1; done
  echo "redis-test: redis-server did not answer on port $PORT (log: $1/server.log)" >&2; exit 1
}

halt() { # $1: dir
  # SHUTDOWN by command, not by signal: a server started from a test process may have inherited a
  # blocked SIGTERM (and would then keep running while `stop` reported success).
  pid=""
  [ -f "$1/redis.pid" ] && pid="$(cat "$1/redis.pid")"
  redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  [ -n "$pid" ] || { alive && { echo "redis-test: server on port $PORT did not stop" >&2; exit 1; }; return 0; }
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "redis-test: redis-server $pid did not stop" >&2; exit 1
}

case "${1:-}" in
start)
  if [ -f "$STATE" ] && alive; then url; exit 0; fi
  DIR="$(mktemp -d /tmp/mcpk-redis.XXXXXX)"
  launch "$DIR"
  mkdir -p .build
  printf 'REDIS_TEST_DIR=%s\nMCPK_TEST_REDIS_URL=%s\n' "$DIR" "$(url)" >"$STATE"
  url
  ;;
stop)
  if [ -f "$STATE" ]; then
    . "$STATE"
    if [ -n "${REDIS_TEST_DIR:-}" ] && [ -d "$REDIS_TEST_DIR" ]; then
      halt "$REDIS_TEST_DIR"
      mkdir -p .build && cp "$REDIS_TEST_DIR/server.log" "${STATE%.env}-server.log" 2>/dev/null || true
      rm -rf "$REDIS_TEST_DIR"
    fi
    rm -f "$STATE"
  fi
  ;;
restart)
  [ -f "$STATE" ] || { echo "redis-test: not running (scripts/redis-test.sh start)" >&2; exit 1; }
  . "$STATE"; halt "$REDIS_TEST_DIR"; launch "$REDIS_TEST_DIR"
  ;;
url)
  [ -f "$STATE" ] || { echo "redis-test: not running (scripts/redis-test.sh start)" >&2; exit 1; }
  . "$STATE"; echo "$MCPK_TEST_REDIS_URL"
  ;;
*)
  echo "usage: scripts/redis-test.sh start|stop|restart|url" >&2; exit 2
  ;;
esac
