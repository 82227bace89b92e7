#!/usr/bin/env bash
# Everything a fresh clone needs for the Node package, then its tests; run it under the harness:
#   scripts/with-devserver bindings-node/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ -z "${NOORLE_BASE_URL:-}" ] || [ -z "${NOORLE_DEV_ROOT_KEY:-}" ]; then
    echo "bindings-node/test.sh: NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY are not set;" \
        "run it under the harness: scripts/with-devserver bindings-node/test.sh" >&2
    exit 2
fi

npm ci --no-audit --no-fund
# The debug addon with the test-only hooks (a deliberate panic); release builds leave them out.
npm run build -- --features test-hooks

# The deliberate-panic test would print a full backtrace; the message is enough.
RUST_BACKTRACE=0 node --test --test-concurrency=4 test/*.test.mjs

# The TypeScript example type-checks against the package's .d.ts, imported by name.
mkdir -p ../examples/node/node_modules
ln -sfn ../../../bindings-node ../examples/node/node_modules/noorle
node_modules/.bin/tsc --strict --noEmit -p ../examples/node/tsconfig.json
echo "tsc --strict --noEmit: examples/node/quickstart.ts OK"
