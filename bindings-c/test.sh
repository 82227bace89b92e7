#!/usr/bin/env bash
# The C ABI's tests: Rust unit tests (envelopes, NULL and invalid input, panics, header drift),
# then the C smoke test against the local server: on the release library, and under valgrind (zero
# errors, zero definite leaks) on a debug build with the system allocator.
# Run under scripts/with-devserver, which exports NOORLE_BASE_URL and NOORLE_DEV_ROOT_KEY.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cd "$ROOT"

if [ -z "${NOORLE_BASE_URL:-}" ] || [ -z "${NOORLE_DEV_ROOT_KEY:-}" ]; then
    echo "bindings-c/test.sh: NOORLE_BASE_URL / NOORLE_DEV_ROOT_KEY unset: run it as scripts/with-devserver bindings-c/test.sh" >&2
    exit 2
fi

for tool in gcc valgrind; do
    if ! command -v "$tool" >/dev/null; then
        echo "installing $tool"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

echo "== cargo fmt --check (noorle-ffi)"
cargo fmt -p noorle-ffi --check
echo "== cargo test -p noorle-ffi"
cargo test -q -p noorle-ffi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/noorle-c-smoke.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
# Link the archive by path (a -lnoorle would pick the .so); flags from --print native-static-libs.
smoke() {
    gcc -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 -g -I "$HERE/include" \
        "$HERE/smoke/smoke.c" "$1" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$2"
}

echo "== C smoke test (release static library, as shipped: mimalloc)"
cargo build -q --release -p noorle-ffi
smoke "$TARGET_DIR/release/libnoorle.a" "$OUT/smoke"
"$OUT/smoke"

# valgrind sees only the system allocator's blocks: this build leaves mimalloc out, so that every
# buffer the library hands out, and every one the C side fails to free, is tracked.
echo "== C smoke test under valgrind (debug static library on the system allocator)"
cargo build -q -p noorle-ffi --no-default-features
smoke "$TARGET_DIR/debug/libnoorle.a" "$OUT/smoke-vg"
# tokio's worker threads and statics are "possibly lost"/"still reachable" by design: only
# memory errors and definite leaks fail the run.
status=0
valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=1 --log-file="$OUT/valgrind.log" "$OUT/smoke-vg" || status=$?
grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$OUT/valgrind.log" | sed 's/^==[0-9]*== */valgrind: /'
if [ "$status" -ne 0 ]; then
    cat "$OUT/valgrind.log" >&2
    echo "C smoke test FAILED (exit $status)" >&2
    exit "$status"
fi
echo "C smoke test passed under valgrind"
