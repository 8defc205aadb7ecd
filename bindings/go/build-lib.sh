#!/usr/bin/env bash
# Builds libclerk and copies libclerk.a and clerk.h to lib/ and include/ beside this
# script, where the Go package's #cgo flags look for them. Only the static library is
# copied, so Go programs link it statically and need no LD_LIBRARY_PATH.
# Usage: bindings/go/build-lib.sh [debug|release]   (default release; honours CARGO_TARGET_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=${1:-release}
case $profile in
release) flags=(--release) ;;
debug) flags=() ;;
*)
    echo "usage: $0 [debug|release]" >&2
    exit 2
    ;;
esac
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet "${flags[@]}" -p clerk-ffi --manifest-path "$root/Cargo.toml"
mkdir -p "$here/lib" "$here/include"
cp "$target/$profile/libclerk.a" "$here/lib/libclerk.a"
cp "$root/include/clerk.h" "$here/include/clerk.h"
echo "copied libclerk.a ($profile) and clerk.h into bindings/go/lib and bindings/go/include"
