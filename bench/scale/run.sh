#!/usr/bin/env bash
# Scale-out benchmark (issue 14): 1, 2 and 3 kernels on ONE PostgreSQL, each limited to the same
# step concurrency, run SCALE_RUNS (300) runs of a 0.2 s sleep step, all submitted to ONE kernel;
# prints runs/s, the ratio to one kernel (goals: 3 kernels >= 2.4x, 2 kernels >= 1.7x) and
# queue-wait p50/p99. Then the cross-kernel live latency: a step on kernel A prints lines,
# SSE_CLIENTS (100) SSE clients on kernel B; p50/p99 and lost lines, via NOTIFY and again via Redis
# pub/sub (both kernels with REDIS_URL).
#
# Usage: bench/scale/run.sh [path-to-mcpk]
# Env:   MCPK_BENCH_PG_URL (else a private server via scripts/pg-test.sh on MCPK_TEST_PG_PORT),
#        SCALE_RUNS, SCALE_STEPS (per-kernel MCPK_MAX_CONCURRENT_STEPS, default 8), SCALE_KERNELS ("1 2 3"),
#        SCALE_SLEEP (0.2), SSE_CLIENTS, SSE_LINES; MCPK_PYTHON_RUNTIME as for the kernel;
#        MCPK_BENCH_REDIS_URL (else a private redis-server via scripts/redis-test.sh on MCPK_TEST_REDIS_PORT;
#        SCALE_REDIS=0 skips the Redis latency). SCALE_KERNELS="" runs only the latency part.
set -euo pipefail
cd "$(dirname "$0")/../.."
STARTED_REDIS=""
if [ "${SCALE_REDIS:-1}" != 0 ] && [ -z "${MCPK_BENCH_REDIS_URL:-}" ]; then
  MCPK_BENCH_REDIS_URL="$(scripts/redis-test.sh start)"
  STARTED_REDIS=1
fi
trap '[ -z "$STARTED_REDIS" ] || scripts/redis-test.sh stop' EXIT
[ "${SCALE_REDIS:-1}" != 0 ] || MCPK_BENCH_REDIS_URL=""
export MCPK_BENCH_REDIS_URL="${MCPK_BENCH_REDIS_URL:-}"
bench/python-with-pg.sh bench/scale/scale.py "$@"
