#!/usr/bin/env bash
# Connection pool benchmark (issue 13): 8 x 0.3 s pg_sleep statements on one stored connection,
# pool size 1 (one shared connection) against the default 8. See pool.py for the knobs.
#
# Usage: bench/connection_pool/run.sh [path-to-mcpk]
# Env:   MCPK_BENCH_PG_URL (else a private server via scripts/pg-test.sh on MCPK_TEST_PG_PORT),
#        POOL_QUERIES, POOL_SLEEP, POOL_ROUNDS, POOL_SIZES.
set -euo pipefail
exec "$(dirname "$0")/../python-with-pg.sh" bench/connection_pool/pool.py "$@"
