#!/usr/bin/env bash
# Runs the Go quickstart against NOORLE_BASE_URL, with NOORLE_DEV_ROOT_KEY as the management key.
# Needs the static library in bindings-go (bindings-go/build-lib.sh, or `make go`): built here
# if missing.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
: "${NOORLE_BASE_URL:?run under scripts/with-devserver (NOORLE_BASE_URL unset)}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver (NOORLE_DEV_ROOT_KEY unset)}"
if [ ! -f "$HERE/../../bindings-go/lib/$(go env GOOS)_$(go env GOARCH)/libnoorle.a" ]; then
    "$HERE/../../bindings-go/build-lib.sh"
fi
cd "$HERE"
NOORLE_API_KEY="$NOORLE_DEV_ROOT_KEY" CGO_ENABLED=1 go run .
