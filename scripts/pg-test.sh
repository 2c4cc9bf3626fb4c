#!/usr/bin/env bash
# A private PostgreSQL server for tests and benchmarks.
#
#   scripts/pg-test.sh start   initdb (as the postgres user) in a temp dir, start on a
#                              private port, create role/db `mcpk`, write the URL to
#                              .build/pg-test.env (DATABASE_URL=..., MCPK_TEST_PG_URL=...)
#   scripts/pg-test.sh stop    stop the server and remove its data dir
#   scripts/pg-test.sh url     print the URL of the running test server
#   scripts/pg-test.sh restart stop and start the running server (same data, same port)
#
# Port: $MCPK_TEST_PG_PORT or 55432. Idempotent: `start` on a running server only prints.
# State file: $MCPK_TEST_PG_STATE or .build/pg-test.env (a second private server, e.g. one a
# live test restarts, uses its own port and state file).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${MCPK_TEST_PG_PORT:-55432}"
STATE="${MCPK_TEST_PG_STATE:-.build/pg-test.env}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -n "$BIN" ] || { echo "pg-test: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
RUN_AS=()
if [ "$(id -u)" = 0 ]; then RUN_AS=(runuser -u postgres --); fi

url() { echo "postgres://mcpk:mcpk@127.0.0.1:${PORT}/mcpk"; }

case "${1:-}" in
start)
  if [ -f "$STATE" ] && . "$STATE" && "${BIN}/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    url; exit 0
  fi
  DATA="$(mktemp -d /tmp/mcpk-pg.XXXXXX)"
  chmod 700 "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
  "${RUN_AS[@]}" "${BIN}/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${DATA}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
# A loaded test machine can take longer than the default 60 s to finish a connection's startup
# handshake (the test process's continuations queue behind synchronous live tests on a 2-thread
# cooperative pool); the server would then close it ("server closed the connection unexpectedly").
authentication_timeout = 600s
CONF
  "${RUN_AS[@]}" "${BIN}/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null
  "${BIN}/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
    -c "CREATE ROLE mcpk LOGIN SUPERUSER PASSWORD 'mcpk'" -c "CREATE DATABASE mcpk OWNER mcpk" >/dev/null
  mkdir -p .build
  printf 'PG_TEST_DATA=%s\nDATABASE_URL_PG=%s\nMCPK_TEST_PG_URL=%s\n' "$DATA" "$(url)" "$(url)" >"$STATE"
  url
  ;;
stop)
  if [ -f "$STATE" ]; then
    . "$STATE"
    if [ -n "${PG_TEST_DATA:-}" ] && [ -d "$PG_TEST_DATA" ]; then
      "${RUN_AS[@]}" "${BIN}/pg_ctl" -D "$PG_TEST_DATA" -m fast -w stop >/dev/null 2>&1 || true
      # Keep the server's log for diagnosing a failed run (make test prints its tail then).
      mkdir -p .build && cp "$PG_TEST_DATA/server.log" "${STATE%.env}-server.log" 2>/dev/null || true
      rm -rf "$PG_TEST_DATA"
    fi
    rm -f "$STATE"
  fi
  ;;
restart)
  [ -f "$STATE" ] || { echo "pg-test: not running (scripts/pg-test.sh start)" >&2; exit 1; }
  . "$STATE"
  "${RUN_AS[@]}" "${BIN}/pg_ctl" -D "$PG_TEST_DATA" -l "$PG_TEST_DATA/server.log" -m fast -w -t 60 restart >/dev/null
  ;;
url)
  [ -f "$STATE" ] || { echo "pg-test: not running (scripts/pg-test.sh start)" >&2; exit 1; }
  . "$STATE"; echo "$MCPK_TEST_PG_URL"
  ;;
*)
  echo "usage: scripts/pg-test.sh start|stop|restart|url" >&2; exit 2
  ;;
esac
