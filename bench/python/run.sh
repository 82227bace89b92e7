#!/usr/bin/env bash
# Python benchmarks: builds a release wheel, installs it in its own venv with the pinned contenders
# (requirements.txt), and runs bench.py against the local server. The output is printed and written
# to RESULTS.latest.md.
#   scripts/with-devserver bench/python/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver}"
VENV="$HERE/.venv"
[ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"
if [ -n "${BENCH_WHEEL:-}" ]; then
    WHEEL="$BENCH_WHEEL"  # a wheel built before (e.g. to compare two builds)
else
    DIST="$(mktemp -d)"
    trap 'rm -rf "$DIST"' EXIT
    (cd "$ROOT/bindings-python" && "$VENV/bin/maturin" build --release -q -o "$DIST")
    WHEEL="$(ls "$DIST"/noorle-*.whl)"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"
cd "$HERE"  # not the source tree, so that the installed wheel is what gets imported
BENCH_WHEEL="$WHEEL" "$VENV/bin/python" "$HERE/bench.py" | tee "$HERE/RESULTS.latest.md"
