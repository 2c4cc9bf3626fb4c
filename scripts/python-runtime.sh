#!/bin/sh
# Creates (or refreshes) the runtime Python venv that sandboxed steps run under:
#   scripts/python-runtime.sh [DIR]      (default: ${MCPK_HOME:-./.mcpk}/runtimes/python)
# It is built from Debian's /usr/bin/python3 so that, inside the sandbox, the venv's
# interpreter symlink resolves into the read-only /usr bind. Packages come from PyPI:
# nbclient/nbformat/ipykernel (notebook steps), streamlit (Streamlit steps), mcp (MCP steps).
set -eu
DIR="${1:-${MCPK_HOME:-./.mcpk}/runtimes/python}"
PACKAGES="nbclient nbformat ipykernel streamlit mcp pyyaml"
STAMP="$DIR/.mcpk-runtime"
WANT="v2 $PACKAGES"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    echo "python runtime up to date: $DIR"
    exit 0
fi
mkdir -p "$(dirname "$DIR")"
/usr/bin/python3 -m venv "$DIR"
"$DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$DIR/bin/python" -m pip install --quiet --disable-pip-version-check $PACKAGES
echo "$WANT" > "$STAMP"
echo "python runtime ready: $DIR"
