#!/usr/bin/env bash
# Runs a Python benchmark as `python3 SCRIPT MCPK PG_URL`: MCPK is the given binary (else
# $MCPK_BIN, else the release build, built if missing, with the Python executor beside it); PG_URL is $MCPK_BENCH_PG_URL, else a
# private server started here via scripts/pg-test.sh (on MCPK_TEST_PG_PORT) and stopped at exit.
#
# Usage: bench/python-with-pg.sh SCRIPT [path-to-mcpk]
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT="$1"
MCPK="${2:-${MCPK_BIN:-.build/release/mcpk}}"
[ -x "$MCPK" ] || swift build -c release --product mcpk >/dev/null
# The executor the benchmarks' steps run on loads from the binary's directory.
[ -e "$(dirname "$MCPK")/libmcpk-python.so" ] || swift build -c "$(basename "$(dirname "$MCPK")")" --product mcpk-python >/dev/null
STARTED_PG=""
if [ -z "${MCPK_BENCH_PG_URL:-}" ]; then
  MCPK_BENCH_PG_URL="$(scripts/pg-test.sh start)"
  STARTED_PG=1
fi
trap '[ -z "$STARTED_PG" ] || scripts/pg-test.sh stop' EXIT
python3 "$SCRIPT" "$MCPK" "$MCPK_BENCH_PG_URL"
