#!/usr/bin/env bash
# Creates (or reuses) the Python venv holding the real TensorBoard and MLflow that the
# test/realtools/ checks run against. Test dependencies only: the extension and the CLI
# never need Python.
#   bash test/realtools/setup-venv.sh      -> prints the venv's python path on the last line
# The venv lives outside the repo in ${EXPMAN_PY_CACHE:-$HOME/.cache/expman-py}/venv and is
# reused when its marker names exactly the pinned versions below; anything else (a missing
# marker after an interrupted install, other pins) rebuilds it from scratch.
# A failed install (no registry, no python3-venv) exits non-zero with what to do: the tests
# that need the tools fail on it, they never skip.
set -euo pipefail

# Pins: the newest releases that install on Debian 12's Python 3.11 (checked with
# `pip index versions tensorboard|mlflow`). Full mlflow, since `mlflow server` and its UI are
# part of the check.
PINS=(tensorboard==2.21.0 mlflow==3.17.2)

CACHE="${EXPMAN_PY_CACHE:-$HOME/.cache/expman-py}"
VENV="$CACHE/venv"
MARKER="$VENV/.expman-pins"
PY="${EXPMAN_PYTHON:-python3}"
WANT="${PINS[*]}"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ] && [ -x "$VENV/bin/python" ]; then
  echo "realtools venv: reused $VENV ($WANT)" >&2
  echo "$VENV/bin/python"
  exit 0
fi

fail() {
  echo "realtools venv: FAILED: $1" >&2
  echo "  The TensorBoard/MLflow checks need these Python packages from PyPI: $WANT" >&2
  echo "  Fix the cause above (network to pypi.org, python3-venv), then rerun: bash test/realtools/setup-venv.sh" >&2
  exit 1
}

command -v "$PY" >/dev/null || fail "no $PY on PATH (Debian: apt-get install python3 python3-venv)"
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "realtools venv: installing python3-venv (apt)" >&2
    apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2 \
      || fail "apt-get install python3-venv failed"
  else
    fail "$PY has no venv/ensurepip module (Debian: apt-get install python3-venv)"
  fi
fi

echo "realtools venv: creating $VENV ($WANT)" >&2
rm -rf "$VENV"
mkdir -p "$CACHE"
"$PY" -m venv "$VENV" >&2 || fail "$PY -m venv $VENV failed"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PINS[@]}" >&2 \
  || { rm -rf "$VENV"; fail "pip install ${PINS[*]} failed"; }
"$VENV/bin/python" -c 'import tensorboard, mlflow' >&2 || { rm -rf "$VENV"; fail "the installed packages do not import"; }
# The marker last: an interrupted install leaves no marker and is rebuilt next time.
echo "$WANT" > "$MARKER"
echo "realtools venv: ready" >&2
echo "$VENV/bin/python"
