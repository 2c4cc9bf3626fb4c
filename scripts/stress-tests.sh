#!/usr/bin/env bash
# Runs the Swift test suite N times on a deliberately loaded machine (LOAD busy
# loops, one per core by default) to shake out timing-dependent failures, and
# prints one line per run. Needs `make test` to have run once (build, runtime).
#
# Usage: scripts/stress-tests.sh [N=5] [swift test --filter REGEX]
# Env:   LOAD (busy loops, default nproc), MCPK_TEST_PG_PORT (default 55433),
#        MCPK_LOOP_WATCHDOG_MS (default 8000: a stalled loop aborts with a backtrace)
# Logs:  .build/stress/run-K.log
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
FILTER="${2:-}"
LOAD="${LOAD:-$(nproc)}"
export MCPK_TEST_PG_PORT="${MCPK_TEST_PG_PORT:-55433}"
scripts/pg-test.sh start >/dev/null || exit 1
trap 'scripts/pg-test.sh stop' EXIT
export MCPK_TEST_PG_URL="$(scripts/pg-test.sh url)"
export MCPK_BIN="$PWD/.build/debug/mcpk"
export MCPK_PYTHON_RUNTIME="${MCPK_PYTHON_RUNTIME:-$PWD/.mcpk/runtimes/python}"
export CI=true SWIFT_BACKTRACE=enable=yes,interactive=no,color=no
export MCPK_LOOP_WATCHDOG_MS="${MCPK_LOOP_WATCHDOG_MS:-8000}" MCPK_LOOP_WATCHDOG_ABORT=1
mkdir -p .build/stress
failed=0
for i in $(seq 1 "$RUNS"); do
  pids=()
  for _ in $(seq 1 "$LOAD"); do ( while :; do :; done ) & pids+=($!); done
  start=$(date +%s)
  args=(--skip-build)
  [ -n "$FILTER" ] && args+=(--filter "$FILTER")
  swift test "${args[@]}" >".build/stress/run-$i.log" 2>&1 </dev/null
  rc=$?
  kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
  issues=$(grep -c 'recorded an issue' ".build/stress/run-$i.log")
  echo "run $i: exit $rc, $(( $(date +%s) - start )) s, $issues issues (.build/stress/run-$i.log)"
  [ $rc -eq 0 ] || failed=$((failed + 1))
done
echo "$((RUNS - failed)) passed, $failed failed"
[ $failed -eq 0 ]
