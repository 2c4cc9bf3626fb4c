#!/usr/bin/env bash
# ADBC drivers for the tests and the benchmark: the pinned `adbc-driver-*` wheels from PyPI
# (cached under ${XDG_CACHE_HOME:-~/.cache}/mcpk/adbc), their driver .so extracted into DIR.
#
#   scripts/adbc-drivers.sh DIR      # prints DIR; DIR/libadbc_driver_{sqlite,postgresql,bigquery}.so
#
# The wheels are plain zip files holding one shared library each (the Python
# package around it is not used). Versions are pinned here; change them together
# with the tests (Tests/KernelPluginsTests/ADBCConnectorTests.swift).
set -euo pipefail

DIR=${1:?usage: scripts/adbc-drivers.sh DIR}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/mcpk/adbc/wheels
PINNED=(adbc-driver-sqlite==1.13.0 adbc-driver-postgresql==1.13.0 adbc-driver-bigquery==1.11.0)
PYTHON=${PYTHON:-python3}

mkdir -p "$CACHE" "$DIR"
# pip itself: the interpreter's, else a small venv of our own (Debian's python3 has no pip;
# python3-venv, in the Makefile's APT_PACKAGES, brings ensurepip).
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  VENV="$CACHE/../pip-venv"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" >&2
  PYTHON="$VENV/bin/python"
fi
for spec in "${PINNED[@]}"; do
  name=${spec%%==*}; version=${spec##*==}
  stem=${name//-/_}
  if ! ls "$CACHE/${stem}-${version}-"*.whl >/dev/null 2>&1; then
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$CACHE" "$spec" >&2
  fi
done
"$PYTHON" - "$CACHE" "$DIR" "${PINNED[@]}" <<'PY'
import glob, os, sys, zipfile
cache, out, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
for spec in specs:
    name, version = spec.split("==")
    stem = name.replace("-", "_")
    wheels = sorted(glob.glob(os.path.join(cache, f"{stem}-{version}-*.whl")))
    if not wheels:
        sys.exit(f"adbc-drivers: no wheel for {spec} in {cache}")
    with zipfile.ZipFile(wheels[-1]) as z:
        libs = [n for n in z.namelist() if n.endswith(".so") and os.path.basename(n).startswith("libadbc_driver_")]
        if len(libs) != 1:
            sys.exit(f"adbc-drivers: {wheels[-1]} holds {len(libs)} driver libraries, expected 1")
        target = os.path.join(out, os.path.basename(libs[0]))
        info = z.getinfo(libs[0])
        if not (os.path.exists(target) and os.path.getsize(target) == info.file_size):
            tmp = target + ".tmp"
            with z.open(libs[0]) as src, open(tmp, "wb") as dst:
                dst.write(src.read())
            os.chmod(tmp, 0o755)
            os.replace(tmp, target)
PY
echo "$DIR"
