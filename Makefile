# The two commands a fresh clone needs (see README.md):
#   make demo   - the quickstart in every language against a local server
#   make test   - every test of every language
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
WITH_SERVER := scripts/with-devserver

.PHONY: test demo rust-test lint contract python-test node-test c-test go-test go bench bench-scan clean fuzz fuzz-smoke fuzz-replay \
	dist dist-test

# Every suite, each timed, with a summary line per suite at the end (scripts/test-all).
test:
	scripts/test-all

# Rust: core, local server, CLI, C ABI (their tests start in-process servers).
rust-test:
	cargo build --quiet --workspace --bins
	cargo test --quiet

lint:
	cargo fmt --all --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet -p noorle-python -p noorle-node --all-targets -- -D warnings
	scripts/lint-workflows
	scripts/gen-surface --check

# The local server fuzzed against spec/openapi.yaml.
contract:
	$(WITH_SERVER) scripts/contract-test

python-test:
	$(WITH_SERVER) bindings-python/test.sh

node-test:
	$(WITH_SERVER) bindings-node/test.sh

c-test:
	$(WITH_SERVER) bindings-c/test.sh

go-test:
	$(WITH_SERVER) bindings-go/test.sh

# Fuzz targets (fuzz/, cargo-fuzz on the nightly toolchain): parsers, the operation dispatcher and
# the C ABI. A crash, panic or secret in an error message fails them (scripts/fuzz). `make test`
# replays the committed seeds (deterministic); exploring, which finds new inputs by chance, is
# `fuzz` (also nightly in .github/workflows/fuzz.yml) and `fuzz-smoke` (20 s per target).
fuzz:
	scripts/fuzz 300

fuzz-smoke:
	scripts/fuzz 20

fuzz-replay:
	scripts/fuzz --replay

# Release artifacts for this machine's platform (x86_64 Linux, glibc) into dist/: crates, CLI archives
# with SHA256SUMS, the manylinux2014 abi3 wheel and sdist, the npm packages, the Go release tree.
# Other platforms are built by .github/workflows/release.yml.
dist:
	scripts/dist-rust
	scripts/dist-cli
	scripts/dist-python
	scripts/dist-node
	scripts/dist-go

# Each package installed as a user would, from a local registry on loopback, into a fresh project with
# no Rust toolchain on PATH, then run against a local server.
dist-test: dist
	$(WITH_SERVER) scripts/dist-test-python
	$(WITH_SERVER) scripts/dist-test-node
	$(WITH_SERVER) scripts/dist-test-go
	$(WITH_SERVER) scripts/dist-test-rust

# The static library the Go module links (release build, placed inside the module).
go:
	bindings-go/build-lib.sh

demo:
	scripts/demo

bench:
	scripts/bench

# The leaked-key scanner against gitleaks and detect-secrets on a generated corpus (bench/scan/run).
bench-scan:
	bench/scan/run

clean:
	cargo clean
	rm -rf bindings-python/.venv bindings-node/node_modules
