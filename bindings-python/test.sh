#!/usr/bin/env bash
# Builds the extension (debug), runs the pytest suite and the strict type check.
# Run it under the harness: scripts/with-devserver bindings-python/test.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

if [ -z "${NOORLE_BASE_URL:-}" ] || [ -z "${NOORLE_DEV_ROOT_KEY:-}" ]; then
    echo "bindings-python/test.sh: NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are unset;" >&2
    echo "run it as: scripts/with-devserver bindings-python/test.sh" >&2
    exit 2
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
VPY="$HERE/.venv/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check \
    "maturin>=1.9,<2" "pytest>=8" "pytest-asyncio>=0.23" "pytest-timeout>=2" httpx requests "pyright>=1.1.380"

# Debug build, installed in place into the venv (fast; the core is shared with the workspace),
# with the test-only hooks (`_panic_for_test`, `_inflight`, ...) that release builds leave out.
VIRTUAL_ENV="$HERE/.venv" PATH="$HERE/.venv/bin:$PATH" "$HERE/.venv/bin/maturin" develop -q --features test-hooks
"$VPY" -c "import noorle, sys; print('noorle', noorle.__version__, 'on Python', sys.version.split()[0])"

"$VPY" -m pytest -q -p no:cacheprovider tests "$@"

# Strict type check of the package and the example (configuration in pyproject.toml).
"$HERE/.venv/bin/pyright" --pythonpath "$VPY"
