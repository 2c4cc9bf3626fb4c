#!/usr/bin/env bash
# After a failed `swift test`: runs the failed tests once more, alone, and
# reports each as FLAKY (failed, then passed) or FAILED (failed twice).
# Exit 0 only when every failed test passed on its second run.
#
# The failed tests come from the Swift Testing xUnit report. When that report
# is missing (the test process crashed before writing it) there is no list to
# trust, so the whole suite runs once more. A second failure is final.
#
# Usage: scripts/rerun-failed-tests.sh XUNIT_SWIFT_TESTING_XML  (env: SWIFT, BUILD_FLAGS)
# Both runs' output stays in .build/test-rerun.log / .build/test.log.
set -uo pipefail
XML="${1:?xunit report}"
SWIFT="${SWIFT:-swift}"
# More failures than this is not flakiness: no second run.
MAX_RERUN=40

ids=()
if [ -s "$XML" ]; then
  mapfile -t ids < <(python3 - "$XML" <<'PY'
import sys, xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).iter("testcase"):
    if case.find("failure") is None and case.find("error") is None:
        continue
    cls, name = case.get("classname", ""), case.get("name", "")
    # Swift Testing ids: Module.Suite/test() for suite members, Module.test() for free functions.
    ident = f"{cls}/{name}" if "." in cls else f"{cls}.{name}"
    print(ident)
PY
  )
  if [ "${#ids[@]}" -eq 0 ]; then
    echo "=== rerun: the xUnit report lists no failed test, yet swift test failed: running the whole suite once more"
  elif [ "${#ids[@]}" -gt "$MAX_RERUN" ]; then
    echo "=== rerun: ${#ids[@]} tests failed (more than $MAX_RERUN): not rerunning"
    exit 1
  fi
else
  echo "=== rerun: no xUnit report (the test process did not finish): running the whole suite once more"
fi

filters=()
for i in "${ids[@]}"; do filters+=(--filter "^$(printf '%s' "$i" | sed 's/[][\\.^$*+?(){}|]/\\&/g')"); done
if [ "${#ids[@]}" -gt 0 ]; then
  echo "=== rerun: running the ${#ids[@]} failed test(s) once more, alone:"
  printf '    %s\n' "${ids[@]}"
else
  echo "=== rerun: running the whole suite once more"
fi
# shellcheck disable=SC2086
SWIFT_BACKTRACE=enable=yes,interactive=no,color=no \
  "$SWIFT" test --skip-build ${BUILD_FLAGS:-} "${filters[@]}" >.build/test-rerun.log 2>.build/test-rerun-stderr.log
rc=$?
grep -E '^(✘|↳ [^TV]|\*\*\*|✔ Test run)' .build/test-rerun.log | head -n 100
if [ $rc -eq 0 ]; then
  for i in "${ids[@]}"; do echo "FLAKY: $i failed, then passed when run again"; done
  [ "${#ids[@]}" -gt 0 ] || echo "FLAKY: the suite failed, then passed when run again"
  exit 0
fi
echo "FAILED: the tests failed again"
tail -n 40 .build/test-rerun-stderr.log
exit 1
