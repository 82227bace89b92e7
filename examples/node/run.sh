#!/usr/bin/env bash
# Runs the quickstart against NOORLE_BASE_URL with NOORLE_DEV_ROOT_KEY as the management key
# (e.g. `scripts/with-devserver examples/node/run.sh`). Builds the package first if needed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$HERE/../../bindings-node"
: "${NOORLE_BASE_URL:?set NOORLE_BASE_URL (run under scripts/with-devserver)}"
: "${NOORLE_DEV_ROOT_KEY:?set NOORLE_DEV_ROOT_KEY (run under scripts/with-devserver)}"
if [ ! -d "$PKG/node_modules" ]; then (cd "$PKG" && npm ci --no-audit --no-fund); fi
if ! ls "$PKG"/noorle.*.node >/dev/null 2>&1; then (cd "$PKG" && npm run build); fi
# The example imports the package by name, as a user would.
mkdir -p "$HERE/node_modules"
ln -sfn ../../../bindings-node "$HERE/node_modules/noorle"
cd "$HERE"
"$PKG/node_modules/.bin/tsc" -p tsconfig.json
NOORLE_API_KEY="$NOORLE_DEV_ROOT_KEY" exec node quickstart.mjs
