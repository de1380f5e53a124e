#!/usr/bin/env bash
# Create .venv and install the pinned stack. Idempotent and quick when nothing changed:
# a stamp file records the hash of the requirement files it was built from.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=.venv
STAMP=$VENV/.bootstrap-stamp
want=$(cat requirements/*.txt scripts/bootstrap.sh pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ -f $STAMP && "$(cat $STAMP)" == "$want" ]]; then
  exit 0
fi
command -v "$PY" >/dev/null || { echo "bootstrap: $PY not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
echo "bootstrap: creating $VENV and installing pinned dependencies (first run: several minutes)" >&2
[[ -x $VENV/bin/python ]] || "$PY" -m venv "$VENV"
# Every install/download honours requirements/constraints.txt (setuptools < 81). Two kinds of
# pip messages are expected and dropped: this machine's pip config names local index folders
# that may not exist, and the OpenMMLab packages "require" what we deliberately leave out
# (docs/install.md). Every other message is kept.
EXPECTED='is ignored: it is neither|^mm(pose|det|engine|cv)[-a-z]* [0-9.]+ requires |dependency resolver does not currently take into account'
pip_() {
  local cmd=$1; shift
  "$VENV/bin/python" -m pip "$cmd" --disable-pip-version-check -q -c requirements/constraints.txt "$@" \
    2> >(grep -Ev "$EXPECTED" >&2)
}
PIP=pip_
$PIP install "pip==25.2" "setuptools<81" wheel
$PIP install -r requirements/lock.txt
# OpenMMLab: their declared dependencies pull opencv-python, chumpy and a CUDA torchvision,
# so they go in without deps; mmcv is built from source as the pure-Python variant.
mkdir -p build/wheels
if ! $VENV/bin/python -c "import mmcv" 2>/dev/null; then
  $PIP download --no-deps --no-build-isolation --no-binary :all: "mmcv==2.1.0" -d build/wheels
  MMCV_WITH_OPS=0 $PIP install --no-build-isolation --no-deps build/wheels/mmcv-2.1.0.tar.gz
fi
$PIP install --no-deps -r requirements/openmmlab.txt
$PIP install --no-build-isolation --no-binary xtcocotools "xtcocotools==1.14.3"
$PIP install --no-deps -e .
echo "$want" > "$STAMP"
echo "bootstrap: done" >&2
