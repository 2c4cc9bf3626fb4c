#!/usr/bin/env bash
# Browser tests of the web console (issue 8): a real `mcpk serve` with a
# temporary home and a free HTTP port, real data created through the API, and
# Debian's Chromium driven headless by Playwright (from PyPI). Called by
# `make test`; usable alone: Tests/ConsoleTests/run.sh [pytest args].
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.build/console-venv"
CHROMIUM="${MCPK_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "ConsoleTests: $CHROMIUM not found (apt-get install chromium)" >&2
  exit 1
fi
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import playwright, pytest' 2>/dev/null; then
  "$VENV/bin/pip" install -q -r "$ROOT/Tests/ConsoleTests/requirements.txt"
fi
if [ -z "${MCPK_BIN:-}" ]; then
  swift build >/dev/null   # mcpk and the bundled plugin libraries
  export MCPK_BIN="$ROOT/.build/debug/mcpk"
fi
mkdir -p "$ROOT/.build/console-screenshots"
export MCPK_CHROMIUM="$CHROMIUM"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$ROOT/Tests/ConsoleTests" "$@"
