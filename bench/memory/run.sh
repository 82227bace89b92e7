#!/usr/bin/env bash
# Memory of an idle client and over many calls, in each language (run under scripts/with-devserver;
# `make bench` does): RSS growth from building a client (goal <= 2 MB) and after its first call, and
# RSS after 10,000 calls against after 1,000 (goal: flat). Each program runs twice: against the
# local server (http) and through a TLS front (https, tls-proxy.py: a real handshake, checked
# against the platform's roots plus the front's throwaway CA). Release builds; a language whose
# toolchain is missing is skipped. MEMORY_ONLY="rust go" runs only those languages.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$HERE/../.."
: "${NOORLE_BASE_URL:?run under scripts/with-devserver}"
: "${NOORLE_DEV_ROOT_KEY:?run under scripts/with-devserver}"
ONLY="${MEMORY_ONLY:-rust python node go}"
cd "$ROOT"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

TLS_DIR="$(mktemp -d)"
PROXY_PID=""
trap '[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; rm -rf "$TLS_DIR"' EXIT
HTTP_URL="$NOORLE_BASE_URL"
upstream="${HTTP_URL#*://}"
upstream="${upstream%%/*}"
python3 "$HERE/tls-proxy.py" "$TLS_DIR" "$upstream" >"$TLS_DIR/url" &
PROXY_PID=$!
for _ in $(seq 100); do [ -s "$TLS_DIR/url" ] && break; sleep 0.1; done
HTTPS_URL="$(cat "$TLS_DIR/url")"

# Runs "$@" once per base URL; https trusts the front through SSL_CERT_FILE (and no SSL_CERT_DIR,
# whose files would be read beside it: the roots are then the same certificates as over http).
both() {
    NOORLE_BASE_URL="$HTTP_URL" "$@"
    NOORLE_BASE_URL="$HTTPS_URL" SSL_CERT_FILE="$TLS_DIR/roots.pem" SSL_CERT_DIR= "$@"
}
wants() { [[ " $ONLY " == *" $1 "* ]]; }

if wants rust; then
    cargo build --quiet --release -p noorle-bench --bin memory
    both "${CARGO_TARGET_DIR:-$ROOT/target}/release/memory"
fi

# Python: the release wheel in bench/python's venv (bench/python/run.sh installs it).
PY="$ROOT/bench/python/.venv/bin/python"
if ! wants python; then
    :
elif [ -x "$PY" ] && (cd "$HERE" && "$PY" -c 'import noorle') 2>/dev/null; then
    cd "$HERE"
    both "$PY" python.py
    cd "$ROOT"
else
    echo "python skipped: run bench/python/run.sh first (it installs the release wheel)"
fi

# Node: the addon as bench/node/run.sh builds it (dist profile).
if ! wants node; then
    :
elif ls "$ROOT"/bindings-node/noorle.*.node >/dev/null 2>&1; then
    both node --expose-gc "$HERE/node.mjs"
else
    echo "node   skipped: run bench/node/run.sh first (it builds the addon)"
fi

[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
if ! wants go; then
    :
elif command -v go >/dev/null; then
    export CGO_ENABLED=1
    "$ROOT/bindings-go/build-lib.sh" >/dev/null
    (cd "$HERE/go" && go build -o "$TLS_DIR/memory-go" .)
    both "$TLS_DIR/memory-go"
else
    echo "go     skipped: no go toolchain"
fi
