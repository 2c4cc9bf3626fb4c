#!/usr/bin/env bash
# Coverage-guided fuzzing of the kernel's parsers with libFuzzer (issue 16): `make fuzz`.
# Builds .build/fuzz/mcpk-fuzz (KernelCore's sources with libsodium and libyaml, the HTTP request parser over libhttp-parser,
# the step channel's LineBuffer, the control socket's NDJSONFramer, the plugin host's LineChannel
# with KernelLoop's ConditionLock, the target tables Tests/*/Fuzz/*FuzzTargets.swift and
# fuzz/Entry.swift; -sanitize=fuzzer,address) and .build/fuzz/mcpk-fuzz-c (the C executors' config
# parsing, scripts/fuzz-c.sh), then runs every target of fuzz/corpus/<target> (c-* on the C binary)
# from its seed corpus (kept small in the repository; new inputs go to .build/fuzz/corpus/<target>).
#   FUZZ_SECONDS  seconds per target (default 60; with FUZZ_RUNS set, no time limit unless given)
#   FUZZ_RUNS     executions per target (libFuzzer -runs): FUZZ_RUNS=10000000 is the issue's goal
#   FUZZ_TARGETS  space-separated subset of the targets (default: every fuzz/corpus/* directory)
#   FUZZ_PARALLEL targets fuzzed at the same time (default 1)
#   FUZZ_SWIFT_SANITIZE  sanitizers of the Swift binary: `fuzzer,address` (default) or `fuzzer`
#                 (no ASan: 2-4x the executions/s; Swift still traps on overflow and Array/String
#                 bounds, but unchecked Unsafe*Pointer reads go unseen). The C binary always has ASan.
# Prints executions and coverage per target; a crash leaves its input in .build/fuzz/crashes/ and
# fails the run (copy it into fuzz/corpus/<target>/ as a regression: `make test` replays that
# directory).
set -euo pipefail
cd "$(dirname "$0")/.."
LIMITS=()
if [ -n "${FUZZ_RUNS:-}" ]; then
  LIMITS+=(-runs="$FUZZ_RUNS")
  [ -z "${FUZZ_SECONDS:-}" ] || LIMITS+=(-max_total_time="$FUZZ_SECONDS")
else
  LIMITS+=(-max_total_time="${FUZZ_SECONDS:-60}")
fi
OUT=.build/fuzz
mkdir -p "$OUT/crashes" "$OUT/src"
mapfile -t SOURCES < <(find Sources/KernelCore -name '*.swift' | sort)
SOURCES+=(Sources/KernelTransport/HTTP/HTTPRequestParser.swift Sources/KernelTransport/HTTP/HTTPRequest.swift
          Sources/KernelTransport/HTTP/HTTPLimits.swift Sources/KernelSandbox/LineBuffer.swift
          Sources/KernelTransport/Socket/NDJSONFramer.swift Sources/KernelLoop/Lock.swift)
# Files that import the package's own modules: one module here, so those imports are dropped.
ONE_MODULE=(Sources/KernelPlugins/LineChannel.swift)
TABLES=(Tests/KernelCoreTests/Fuzz/FuzzTargets.swift Tests/KernelServerTests/Fuzz/HTTPFuzzTargets.swift
        Tests/KernelSandboxTests/Fuzz/ChannelFuzzTargets.swift Tests/KernelServerTests/Fuzz/ControlFuzzTargets.swift
        Tests/KernelPluginsTests/Fuzz/PluginChannelFuzzTargets.swift)
SWIFT_SANITIZE="${FUZZ_SWIFT_SANITIZE:-fuzzer,address}"
case "$SWIFT_SANITIZE" in
  fuzzer,address) SWIFT_BIN="$OUT/mcpk-fuzz" ;;
  fuzzer) SWIFT_BIN="$OUT/mcpk-fuzz-noasan" ;;
  *) echo "FUZZ_SWIFT_SANITIZE must be fuzzer,address or fuzzer (got '$SWIFT_SANITIZE')" >&2; exit 2 ;;
esac
if [ ! -x "$SWIFT_BIN" ] || [ -n "$(find "${SOURCES[@]}" "${ONE_MODULE[@]}" "${TABLES[@]}" fuzz/Entry.swift "$0" -newer "$SWIFT_BIN" -print -quit)" ]; then
  echo "building $SWIFT_BIN (-sanitize=$SWIFT_SANITIZE, -O)"
  stripped=()
  for f in "${ONE_MODULE[@]}"; do
    sed -E 's/^import (KernelCore|KernelLoop)$//' "$f" >"$OUT/src/$(basename "$f")"
    stripped+=("$OUT/src/$(basename "$f")")
  done
  # -package-name: the transport's sources use `package` access (the SwiftPM package's name).
  swiftc -sanitize="$SWIFT_SANITIZE" -O -parse-as-library -module-name MCPKFuzz -package-name mcpk -use-ld=lld \
    -I Sources/CHTTPParser -lhttp_parser -I Sources/CSodium -lsodium -I Sources/CLibYAML -lyaml "${SOURCES[@]}" "${stripped[@]}" "${TABLES[@]}" fuzz/Entry.swift -o "$SWIFT_BIN"
fi
scripts/fuzz-c.sh build
targets="${FUZZ_TARGETS:-$(ls fuzz/corpus)}"
PARALLEL="${FUZZ_PARALLEL:-1}"
# One target: libFuzzer's log in $OUT/<target>.log, one line of the table in $OUT/<target>.row.
fuzz_one() {
  local t="$1" bin="$SWIFT_BIN"
  case "$t" in c-*) bin="$OUT/mcpk-fuzz-c" ;; esac
  mkdir -p "$OUT/corpus/$t"
  local log="$OUT/$t.log" t0=$SECONDS rc
  set +e
  MCPK_FUZZ_TARGET="$t" "$bin" "${LIMITS[@]}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" "$OUT/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  local execs cov ft result=ok
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  if [ "$rc" != 0 ]; then result="CRASH (see $log, $OUT/crashes/$t-*)"; fi
  printf '%-12s %12s %8s %8s %7s %s\n' "$t" "$execs" "$cov" "$ft" "$((SECONDS - t0))" "$result" | tee "$OUT/$t.row"
}
printf '%-12s %12s %8s %8s %7s %s\n' target executions cov ft seconds result
running=0
for t in $targets; do
  [ -d "fuzz/corpus/$t" ] || { echo "no corpus fuzz/corpus/$t" >&2; exit 2; }
  rm -f "$OUT/$t.row"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
failed=0
for t in $targets; do grep -q ' ok$' "$OUT/$t.row" 2>/dev/null || failed=1; done
exit $failed
