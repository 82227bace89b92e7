#!/usr/bin/env bash
# The Rust quickstart against NOORLE_BASE_URL, managing with NOORLE_DEV_ROOT_KEY.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${NOORLE_BASE_URL:?run me under scripts/with-devserver}"
NOORLE_API_KEY="${NOORLE_API_KEY:-${NOORLE_DEV_ROOT_KEY:?run me under scripts/with-devserver}}" \
    cargo run --quiet -p noorle-examples --bin quickstart
