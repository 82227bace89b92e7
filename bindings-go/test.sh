#!/usr/bin/env bash
# Builds the static library into the module, then: gofmt, go vet, the CGO_ENABLED=0 message,
# go test -race against the local server. Run under scripts/with-devserver (exports
# NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# The machine's Go (>= 1.24 for iter and runtime.AddCleanup); Debian's golang-go is too old.
if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
if ! go version >/dev/null 2>&1; then
    echo "bindings-go/test.sh: Go >= 1.24 is required (none on PATH)" >&2
    exit 1
fi
minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
if [ "$minor" -lt 24 ]; then
    echo "bindings-go/test.sh: Go >= 1.24 is required, found $(go env GOVERSION)" >&2
    exit 1
fi
if [ -z "${NOORLE_BASE_URL:-}" ] || [ -z "${NOORLE_DEV_ROOT_KEY:-}" ]; then
    echo "bindings-go/test.sh: NOORLE_BASE_URL / NOORLE_DEV_ROOT_KEY unset: run it as scripts/with-devserver bindings-go/test.sh" >&2
    exit 2
fi
export CGO_ENABLED=1

echo "== build-lib.sh"
./build-lib.sh
echo "== gofmt"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
    echo "gofmt: not formatted: $unformatted" >&2
    exit 1
fi
echo "== go vet"
go vet ./...
echo "== CGO_ENABLED=0 is refused with the message saying cgo is required"
if nocgo="$(CGO_ENABLED=0 go build . 2>&1)"; then
    echo "CGO_ENABLED=0 go build succeeded; it must fail saying cgo is required" >&2
    exit 1
fi
if ! echo "$nocgo" | grep -q "requires_cgo__build_with_CGO_ENABLED_1"; then
    echo "CGO_ENABLED=0 go build failed without the message saying cgo is required:" >&2
    echo "$nocgo" >&2
    exit 1
fi
# Every file but doc.go and cgo_required.go is //go:build cgo, so nothing else may be undefined.
if echo "$nocgo" | grep -v "requires_cgo" | grep -q "undefined:"; then
    echo "CGO_ENABLED=0 go build: other undefined names (a new file without //go:build cgo?):" >&2
    echo "$nocgo" >&2
    exit 1
fi
echo "== go test -race"
go test -race -count=1 ./...
