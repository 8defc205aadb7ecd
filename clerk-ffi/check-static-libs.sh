#!/bin/sh
# Fails when the system libraries rustc says the static libclerk.a needs differ from the
# Libs.private line of clerk.pc.in (and so from what C users are told to link).
set -eu
cd "$(dirname "$0")/.."
# Touch the crate root so rustc runs (and prints) even when the library is up to date.
touch clerk-ffi/src/lib.rs
actual=$(cargo rustc --quiet -p clerk-ffi --lib --crate-type staticlib -- \
    --print native-static-libs 2>&1 | sed -n 's/^note: native-static-libs: //p' | tail -n 1)
pinned=$(sed -n 's/^Libs.private: //p' clerk-ffi/clerk.pc.in)
if [ -z "$actual" ]; then
    echo "check-static-libs: rustc printed no native-static-libs line" >&2
    exit 1
fi
if [ "$actual" != "$pinned" ]; then
    echo "check-static-libs: rustc needs '$actual' but clerk.pc.in pins '$pinned'" >&2
    exit 1
fi
echo "static link flags match: $actual"
