#!/usr/bin/env bash
# Prints what a failed `swift test` left behind, last, where a reader of the
# tail of `make test` sees it: the failed tests with their recorded issues
# (from the Swift Testing output), how the test process ended, and the tail of
# its log output (stderr: kernel and plugin logs of in-process tests).
#
# Usage: scripts/test-failures.sh TEST_STDOUT_LOG TEST_STDERR_LOG
set -uo pipefail
OUT="${1:?test stdout log}"
ERR="${2:?test stderr log}"

echo
echo "=== swift test failed: the failed tests and their issues"
grep -E '^(✘|↳|error:)|recorded an issue|Expectation failed|Caught error' "$OUT" | grep -v '^↳ Testing Library\|^↳ Target Platform' | head -n 200
echo
echo "=== tests that started and never ended (running when the process stopped)"
awk '
  /^◇ Test case / { next }
  /^◇ Test .* started\.$/ { n = $0; sub(/^◇ Test /, "", n); sub(/ started\.$/, "", n); open[n]++ }
  /^(✔|✘) Test .* (passed|failed)/ {
    n = $0; sub(/^(✔|✘) Test /, "", n); sub(/ (passed|failed).*$/, "", n); sub(/ with [0-9]+ test cases?$/, "", n); open[n]-- }
  END { for (n in open) if (open[n] > 0) print "  " n }' "$OUT" | head -n 40
echo
echo "=== how the test process ended (from its stderr)"
grep -E 'Fatal error|Assertion|Aborted|Segmentation|unexpected signal|Exited with|Killed|Illegal instruction|Precondition failed|Thread [0-9]+ crashed|💣' "$ERR" | head -n 40
echo
echo "=== the last lines of the test process's stderr"
tail -n 60 "$ERR"
echo "=== end of the failure report (full logs: $OUT, $ERR)"
