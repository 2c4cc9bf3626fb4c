#!/usr/bin/env bash
# Coverage-guided fuzzing of the kernel's parsers with libFuzzer (issue 16): `make fuzz`.
# Builds .build/fuzz/mcpk-fuzz (KernelCore's sources, the HTTP request parser over libhttp-parser,
# the step channel's LineBuffer, the target tables Tests/*/Fuzz/*FuzzTargets.swift and
# fuzz/Entry.swift; -sanitize=fuzzer,address) and runs every target for FUZZ_SECONDS (default
# 60) from its seed corpus fuzz/corpus/<target> (kept small in the repository; new inputs go to
# .build/fuzz/corpus/<target>). Prints executions and coverage per target; a crash leaves its
# input in .build/fuzz/crashes/ and fails the run (copy it into fuzz/corpus/<target>/ as a
# regression: `make test` replays that directory).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
OUT=.build/fuzz
mkdir -p "$OUT/crashes"
mapfile -t SOURCES < <(find Sources/KernelCore -name '*.swift' | sort)
SOURCES+=(Sources/KernelServer/HTTP/HTTPRequestParser.swift Sources/KernelServer/HTTP/HTTPRequest.swift
          Sources/KernelServer/HTTP/HTTPLimits.swift Sources/KernelSandbox/LineBuffer.swift)
TABLES=(Tests/KernelCoreTests/Fuzz/FuzzTargets.swift Tests/KernelServerTests/Fuzz/HTTPFuzzTargets.swift
        Tests/KernelSandboxTests/Fuzz/ChannelFuzzTargets.swift)
if [ ! -x "$OUT/mcpk-fuzz" ] || [ -n "$(find "${SOURCES[@]}" "${TABLES[@]}" fuzz/Entry.swift -newer "$OUT/mcpk-fuzz" -print -quit)" ]; then
  echo "building $OUT/mcpk-fuzz (libFuzzer + ASan, -O)"
  swiftc -sanitize=fuzzer,address -O -parse-as-library -module-name MCPKFuzz -use-ld=lld \
    -I Sources/CHTTPParser -lhttp_parser "${SOURCES[@]}" "${TABLES[@]}" fuzz/Entry.swift -o "$OUT/mcpk-fuzz"
fi
targets=$(ls fuzz/corpus)
printf '%-10s %12s %8s %8s %s\n' target executions cov ft result
failed=0
for t in $targets; do
  mkdir -p "$OUT/corpus/$t"
  log="$OUT/$t.log"
  set +e
  MCPK_FUZZ_TARGET="$t" "$OUT/mcpk-fuzz" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" "$OUT/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  result=ok
  if [ "$rc" != 0 ]; then result="CRASH (see $log, $OUT/crashes/$t-*)"; failed=1; fi
  printf '%-10s %12s %8s %8s %s\n' "$t" "$execs" "$cov" "$ft" "$result"
done
exit $failed
