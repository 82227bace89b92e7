#!/usr/bin/env bash
# Memory of an idle client and over many calls, in each language (run under scripts/with-devserver;
# `make bench` does): RSS growth from building a client (goal <= 2 MB), and RSS after 10,000 calls
# against after 1,000 (goal: flat). Release builds; a language whose toolchain is missing is skipped.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver}"
cd "$ROOT"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

cargo build --quiet --release -p noorle-bench --bin memory
"${CARGO_TARGET_DIR:-$ROOT/target}/release/memory"

# Python: the release wheel in bench/python's venv (bench/python/run.sh installs it).
PY="$ROOT/bench/python/.venv/bin/python"
if [ -x "$PY" ] && (cd "$HERE" && "$PY" -c 'import noorle') 2>/dev/null; then
    (cd "$HERE" && "$PY" python.py)
else
    echo "python  skipped: run bench/python/run.sh first (it installs the release wheel)"
fi

# Node: the addon as bench/node/run.sh builds it (dist profile).
if ls "$ROOT"/bindings-node/noorle.*.node >/dev/null 2>&1; then
    node --expose-gc "$HERE/node.mjs"
else
    echo "node    skipped: run bench/node/run.sh first (it builds the addon)"
fi

[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
if command -v go >/dev/null; then
    export CGO_ENABLED=1
    "$ROOT/bindings-go/build-lib.sh" >/dev/null
    (cd "$HERE/go" && go run .)
else
    echo "go      skipped: no go toolchain"
fi
