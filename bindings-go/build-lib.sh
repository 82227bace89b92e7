#!/usr/bin/env bash
# Builds the Rust static library (release) and places it, with its header, inside the Go module:
# lib/<goos>_<goarch>/libnoorle.a and include/noorle.h. `make go` runs this; then `go test ./...`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
GOOS="$(go env GOOS 2>/dev/null || echo linux)"
GOARCH="$(go env GOARCH 2>/dev/null || echo amd64)"
(cd "$ROOT" && cargo build --release -q -p noorle-ffi)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
SRC="$TARGET_DIR/release/libnoorle.a"
DEST="$HERE/lib/${GOOS}_${GOARCH}"
HEADER="$ROOT/bindings-c/include/noorle.h"
mkdir -p "$DEST" "$HERE/include"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/noorle-build-lib.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Go's external link does not pass --gc-sections (and cgo refuses it in LDFLAGS), so the Rust
# archive would land in every binary whole. Pre-link it into one object keeping only what the C
# ABI reaches, without debug info: 80 MB -> ~16 MB archive, ~3 MB less per binary. Falls back to
# the plain archive where binutils cannot (another platform, another linker).
roots=()
for sym in $(grep -oE '\bnoorle_[a-z_]+\(' "$HEADER" | tr -d '(' | sort -u); do
    roots+=(-u "$sym")
done
if ld -r -o "$WORK/noorle.o" --whole-archive "$SRC" --no-whole-archive --gc-sections "${roots[@]}" 2>"$WORK/ld.log" &&
    objcopy --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd "$WORK/noorle.o" 2>>"$WORK/ld.log" &&
    ar rcs "$WORK/libnoorle.a" "$WORK/noorle.o" 2>>"$WORK/ld.log"; then
    how="pre-linked with --gc-sections"
else
    echo "build-lib.sh: pre-linking failed, using the plain archive:" >&2
    cat "$WORK/ld.log" >&2
    cp "$SRC" "$WORK/libnoorle.a"
    how="plain archive"
fi
# Move into place atomically so a concurrent `go build` never sees half an archive.
cp "$WORK/libnoorle.a" "$DEST/libnoorle.a.tmp"
mv -f "$DEST/libnoorle.a.tmp" "$DEST/libnoorle.a"
cp "$HEADER" "$HERE/include/noorle.h"
echo "placed lib/${GOOS}_${GOARCH}/libnoorle.a ($how, $(du -h "$DEST/libnoorle.a" | cut -f1)) and include/noorle.h"
