#!/usr/bin/env bash
# The C executor plugins' config parsing under libFuzzer (issue 16), the C half of `make fuzz`.
#   scripts/fuzz-c.sh build    builds .build/fuzz/mcpk-fuzz-c (clang -fsanitize=fuzzer,address, the
#                              Swift toolchain's clang); scripts/fuzz.sh runs its c-<plugin>
#                              targets with the Swift ones (same table, same settings)
#   scripts/fuzz-c.sh replay   builds .build/fuzz/mcpk-fuzz-c-replay (ASan, no libFuzzer) and replays
#                              every fuzz/corpus/c-* file once; `make test` runs this (a few seconds)
# The harness is fuzz/c/executor_config_fuzz.c; the plugins are compiled from their sources with
# mcpk_plugin_init renamed per plugin so they link into one binary. The c-llm target calls the llm
# plugin's request and stream functions (Plugins/llm/llm_request.h, llm_stream.h) itself: libcurl is
# linked for its header list, nothing connects.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
MODE="${1:-build}"
CC="${FUZZ_CC:-$(dirname "$(readlink -f "$(command -v swiftc)")")/clang}"
OUT=.build/fuzz
PLUGINS=(python typescript mcp notebook streamlit data output utility llm)
mkdir -p "$OUT/c"
CFLAGS=(-g -O1 -fno-omit-frame-pointer -I include -I Plugins/executor-support -I Plugins/plugin-support $(pkg-config --cflags jansson libsodium libcurl))
build() {  # $1: output, $2: sanitizer list, $3...: extra flags of the harness
  local out="$1" san="$2"; shift 2
  local srcs=(fuzz/c/executor_config_fuzz.c Plugins/executor-support/*.h Plugins/plugin-support/*.h include/mcpk/plugin.h)
  for p in "${PLUGINS[@]}"; do srcs+=(Plugins/"$p"/*.c Plugins/"$p"/*.h); done
  if [ -x "$out" ] && [ -z "$(find "${srcs[@]}" "$0" -newer "$out" -print -quit)" ]; then return; fi
  local objs=()
  for p in "${PLUGINS[@]}"; do
    # Every C source of the plugin (the data plugin's Arrow IPC writer sits beside its executor,
    # the llm plugin's request and stream beside its transfer).
    for c in Plugins/"$p"/*.c; do
      local o="$OUT/c/$p-$(basename "$c" .c)-$(basename "$out").o"
      "$CC" -c "${CFLAGS[@]}" -I "Plugins/$p" -fsanitize="$san" -Dmcpk_plugin_init="mcpk_plugin_init_$p" "$c" -o "$o"
      objs+=("$o")
    done
  done
  "$CC" "${CFLAGS[@]}" -fuse-ld=lld -fsanitize="$san" "$@" -I Plugins/llm fuzz/c/executor_config_fuzz.c "${objs[@]}" $(pkg-config --libs jansson libsodium libcurl) -o "$out"
}
case "$MODE" in
  replay)
    build "$OUT/mcpk-fuzz-c-replay" address -DMCPK_FUZZ_REPLAY
    dirs=(); for p in "${PLUGINS[@]}"; do dirs+=("fuzz/corpus/c-$p"); done
    ASAN_OPTIONS=detect_leaks=1 "$OUT/mcpk-fuzz-c-replay" "${dirs[@]}"
    ;;
  build)
    echo "building $OUT/mcpk-fuzz-c (libFuzzer + ASan)" >&2
    build "$OUT/mcpk-fuzz-c" fuzzer,address
    ;;
  *) echo "usage: $0 build|replay" >&2; exit 2 ;;
esac
