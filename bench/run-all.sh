#!/usr/bin/env bash
# Runs every benchmark against the release build. Each prints its peer and ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mcpk >/dev/null
# Plugins the benchmarks load from the release dir (bench/llm: the llm executor;
# bench/steps: the python executor).
swift build -c release --product mcpk-llm >/dev/null
swift build -c release --product mcpk-python >/dev/null
for b in bench/*/; do
  name="$(basename "$b")"
  if [ -x "$b/run.sh" ]; then
    echo "== $name"; "$b/run.sh"
  elif [ -f "$b/main.swift" ]; then
    product="bench-${name//_/-}"
    swift build -c release --product "$product" >/dev/null
    echo "== $name"; ".build/release/$product" --mcpk "$PWD/.build/release/mcpk"
  fi
  echo
done
