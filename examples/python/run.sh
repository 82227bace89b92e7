#!/usr/bin/env bash
# Runs the quickstart against NOORLE_BASE_URL with NOORLE_DEV_ROOT_KEY as the management key.
#   scripts/with-devserver examples/python/run.sh
# Uses bindings-python/.venv (made by bindings-python/test.sh) or builds one.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$HERE/../../bindings-python"
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver}"
if ! "$PKG/.venv/bin/python" -c "import noorle" 2>/dev/null; then
    "${PYTHON:-python3}" -m venv "$PKG/.venv"
    "$PKG/.venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.9,<2"
    (cd "$PKG" && VIRTUAL_ENV="$PKG/.venv" PATH="$PKG/.venv/bin:$PATH" "$PKG/.venv/bin/maturin" develop -q)
fi
NOORLE_API_KEY="$NOORLE_DEV_ROOT_KEY" exec "$PKG/.venv/bin/python" "$HERE/quickstart.py"
