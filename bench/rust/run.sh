#!/usr/bin/env bash
# Rust benchmarks: ApiKey::parse (criterion), SDK vs raw reqwest, local server vs hello-world.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench --quiet -p noorle-bench --bench parse -- --noplot 2>&1 | grep -E "^ApiKey|time:"
cargo run --quiet --release -p noorle-bench --bin sdk_vs_reqwest
bench/rust/server.sh
