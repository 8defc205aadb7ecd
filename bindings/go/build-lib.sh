#!/usr/bin/env bash
# Builds libclerk (release) and copies libclerk.a and clerk.h to lib/ and include/ beside
# this script, where the Go package's #cgo flags look for them. Only the static library
# is copied, so programs link it statically and need no LD_LIBRARY_PATH.
# Usage: bindings/go/build-lib.sh   (honours CARGO_TARGET_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release -p clerk-ffi --manifest-path "$root/Cargo.toml"
mkdir -p "$here/lib" "$here/include"
cp "$target/release/libclerk.a" "$here/lib/libclerk.a"
cp "$root/include/clerk.h" "$here/include/clerk.h"
echo "copied libclerk.a and clerk.h into bindings/go/lib and bindings/go/include"
