#!/usr/bin/env bash
# Started in the background beside `swift test`: once SECONDS have passed, sends
# SIGABRT to the test process (NAME: its 15-character process name), so the Swift
# backtracer prints every thread into the test log, then SIGKILL after a grace: a
# hung suite ends as a failure that shows where it hung, instead of running into
# CI's time limit with nothing said. Kill this script to disarm it.
#
# Usage: scripts/abort-hung-tests.sh SECONDS NAME &
set -u
# Time for the backtracer to print all threads before the process is killed.
GRACE=30
sleep "$1" </dev/null >/dev/null 2>&1 &
wait $! || exit 0
if pkill -ABRT -x "$2"; then
  echo "=== the tests ran past $1 s: SIGABRT to $2 for backtraces (see .build/test.log), SIGKILL in $GRACE s"
  sleep "$GRACE" </dev/null >/dev/null 2>&1
  pkill -KILL -x "$2" || true
fi
