#!/usr/bin/env bash
# Runs every benchmark against the release build. Each prints its peer and ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mcpk >/dev/null
# Plugins the benchmarks load from the release dir (bench/llm: the llm executor;
# bench/steps, bench/engine: the python and utility executors).
swift build -c release --product mcpk-llm >/dev/null
swift build -c release --product mcpk-python >/dev/null
swift build -c release --product mcpk-utility >/dev/null
for b in bench/*/; do
  name="$(basename "$b")"
  # The soak runs for long (10,000 runs per store): `make soak`, or BENCH_SOAK=1 here.
  if [ "$name" = soak ] && [ -z "${BENCH_SOAK:-}" ]; then echo "== soak: skipped (make soak, or BENCH_SOAK=1)"; echo; continue; fi
  if [ -x "$b/run.sh" ]; then
    echo "== $name"; "$b/run.sh"
  elif [ -f "$b/main.swift" ]; then
    product="bench-${name//_/-}"
    swift build -c release --product "$product" >/dev/null
    extra=()
    # bench/engine also measures PostgreSQL when MCPK_BENCH_PG_URL names a server.
    if [ "$name" = engine ] && [ -n "${MCPK_BENCH_PG_URL:-}" ]; then extra=(--pg "$MCPK_BENCH_PG_URL"); fi
    echo "== $name"; ".build/release/$product" --mcpk "$PWD/.build/release/mcpk" "${extra[@]}"
  fi
  echo
done
