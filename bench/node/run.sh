#!/usr/bin/env bash
# Benchmarks the Node package (release build) against the local server:
#   scripts/with-devserver bench/node/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$HERE/../../bindings-node"
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
cd "$PKG"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build:release
node_file="$(ls "$PKG"/noorle.*.node)"
stripped="$(mktemp)"
strip -o "$stripped" "$node_file"
echo ".node release: $(stat -c %s "$node_file") bytes; stripped: $(stat -c %s "$stripped") bytes (goal <= 5 MB)"
rm -f "$stripped"
node "$HERE/bench.mjs"
