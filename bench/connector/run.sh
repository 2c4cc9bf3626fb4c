#!/usr/bin/env bash
# Runs bench-connector against a private PostgreSQL server (started and stopped here).
set -euo pipefail
cd "$(dirname "$0")/../.."
export MCPK_TEST_PG_PORT="${MCPK_BENCH_PG_PORT:-55441}"
swift build -c release --product bench-connector >/dev/null
swift build -c release --product mcpk-postgres >/dev/null
swift build -c release --product mcpk-adbc >/dev/null
ADBC_DRIVERS="$(scripts/adbc-drivers.sh .build/adbc-drivers)"
if [ -z "${MCPK_BENCH_PG_URL:-}" ]; then
  STATE_BACKUP=""
  [ -f .build/pg-test.env ] && STATE_BACKUP="$(cat .build/pg-test.env)"
  MCPK_BENCH_PG_URL="$(scripts/pg-test.sh start)"
  trap 'scripts/pg-test.sh stop; if [ -n "$STATE_BACKUP" ]; then printf "%s\n" "$STATE_BACKUP" > .build/pg-test.env; fi' EXIT
fi
.build/release/bench-connector --url "$MCPK_BENCH_PG_URL" --plugin "$PWD/.build/release/libmcpk-postgres.so" \
  --adbc-plugin "$PWD/.build/release/libmcpk-adbc.so" --adbc-driver "$PWD/$ADBC_DRIVERS/libadbc_driver_postgresql.so" "$@"
