#!/usr/bin/env bash
# Lint of the web console (console/): every JS file parses as an ES module under node
# (console/package.json says "type": "module"), and every relative import names a file that
# exists. Vendored third-party code (js/vendor/) is parsed but its imports are its own.
# Exits 1 listing every problem. Run by `make test`; usable alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/console"
problems=0
files=0
while IFS= read -r f; do
  files=$((files + 1))
  if ! out="$(node --check "$f" 2>&1)"; then
    echo "console-lint: $f does not parse:" >&2
    echo "$out" | sed 's/^/  /' >&2
    problems=$((problems + 1))
  fi
  case "$f" in ./js/vendor/*) continue ;; esac
  dir="$(dirname "$f")"
  # import … from './x.js' / import './x.js' / import('./x.js')
  while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    if [ ! -f "$dir/$spec" ]; then
      echo "console-lint: $f imports '$spec', which does not exist ($dir/$spec)" >&2
      problems=$((problems + 1))
    fi
  done < <(grep -oE "(from|import)[[:space:]]*\(?[[:space:]]*'\.{1,2}/[^']+'" "$f" | grep -oE "'[^']+'" | tr -d "'" || true)
done < <(find . -name '*.js' -o -name '*.mjs' | sort)
for page in index.html; do
  while IFS= read -r src; do
    [ -f "$src" ] || { echo "console-lint: $page loads '$src', which does not exist" >&2; problems=$((problems + 1)); }
  done < <(grep -oE '(src|href)="/?[^":]+\.(js|css)"' "$page" | sed -E 's/^(src|href)="\/?//; s/"$//' || true)
done
if [ "$problems" -ne 0 ]; then
  echo "console-lint: $problems problem(s) in $files file(s)" >&2
  exit 1
fi
echo "console-lint: $files files parse, every relative import exists"
