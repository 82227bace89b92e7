#!/usr/bin/env bash
# Go benchmarks against the local server (run under scripts/with-devserver):
#  1. client.Whoami vs net/http doing the same GET, 64 goroutines, same run;
#  2. the size of a hello-world binary on the SDK.
# Prints markdown for RESULTS.md. Never a test: nothing here asserts timings.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver}"
export CGO_ENABLED=1
"$HERE/../../bindings-go/build-lib.sh"
cd "$HERE"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/noorle-bench-go.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT

echo "## Whoami throughput"
go build -o "$OUT/whoami" ./whoami
"$OUT/whoami" "$@"

echo
echo "## Hello-world binary size"
go build -o "$OUT/hello" ./hello
go build -ldflags="-s -w" -o "$OUT/hello-stripped" ./hello
size() { stat -c %s "$1" | awk '{printf "%.1f MB (%d bytes)", $1/1e6, $1}'; }
echo "| build | size |"
echo "|---|---|"
echo "| \`go build\` | $(size "$OUT/hello") |"
echo "| \`go build -ldflags=\"-s -w\"\` | $(size "$OUT/hello-stripped") |"
echo "| libnoorle.a (release, input to the link) | $(size "$HERE/../../bindings-go/lib/$(go env GOOS)_$(go env GOARCH)/libnoorle.a") |"
