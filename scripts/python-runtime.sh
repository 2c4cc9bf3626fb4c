#!/bin/sh
# Creates (or refreshes) the runtime Python venv that sandboxed steps run under:
#   scripts/python-runtime.sh [DIR]      (default: ${MCPK_HOME:-./.mcpk}/runtimes/python)
# It is built from Debian's /usr/bin/python3 so that, inside the sandbox, the venv's
# interpreter symlink resolves into the read-only /usr bind. Packages come from PyPI, pinned in
# runtime/python/requirements.lock: the same list (and the same stamp: the list's SHA-256) the
# kernel's own `mcpk runtime install` uses, and the same wheelhouse (`wheels/` of MCPK_PIP_CACHE_DIR,
# default ~/.cache/mcpk/pip): a venv built here and one the kernel builds download each wheel once.
set -eu
DIR="${1:-${MCPK_HOME:-./.mcpk}/runtimes/python}"
LOCK="$(dirname "$0")/../runtime/python/requirements.lock"
STAMP="$DIR/.mcpk-runtime"
WANT="$(sha256sum "$LOCK" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    echo "python runtime up to date: $DIR"
    exit 0
fi
export PIP_CACHE_DIR="${MCPK_PIP_CACHE_DIR:-${HOME:-/root}/.cache/mcpk/pip}"
WHEELS="$PIP_CACHE_DIR/wheels"
mkdir -p "$(dirname "$DIR")" "$WHEELS"
rm -rf "$DIR"
/usr/bin/python3 -m venv "$DIR"
PIP="$DIR/bin/python -m pip --disable-pip-version-check --no-input"
# As the kernel's build does (PythonEnvironments.buildVenv): offline from the wheelhouse first,
# else download what it lacks into it and install from it.
get() {
    if ! $PIP install --quiet --no-index --find-links "$WHEELS" -r "$1" 2>/dev/null; then
        $PIP download --quiet --dest "$WHEELS" -r "$1" || true
        $PIP install --quiet --no-index --find-links "$WHEELS" -r "$1" || $PIP install --quiet --find-links "$WHEELS" -r "$1"
    fi
}
grep '^pip==' "$LOCK" > "$DIR/.mcpk-pip.txt" || true
if [ -s "$DIR/.mcpk-pip.txt" ]; then get "$DIR/.mcpk-pip.txt"; fi
rm -f "$DIR/.mcpk-pip.txt"
get "$LOCK"
echo "$WANT" > "$STAMP"
echo "python runtime ready: $DIR"
