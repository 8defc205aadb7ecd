#!/bin/sh
# Builds libclerk in release mode and installs it under PREFIX:
#   PREFIX/include/clerk.h, PREFIX/lib/libclerk.so, PREFIX/lib/libclerk.a,
#   PREFIX/lib/pkgconfig/clerk.pc
# Usage: clerk-ffi/install.sh PREFIX      (e.g. /usr/local, or $HOME/.local)
# Then: cc app.c $(pkg-config --cflags --libs clerk)            (shared)
#       cc app.c $(pkg-config --cflags --libs --static clerk) -static-libgcc ... (static:
#       link PREFIX/lib/libclerk.a explicitly, see clerk-ffi/README.md)
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$1
case $prefix in
/*) ;;
*) prefix=$(pwd)/$prefix ;;
esac
cd "$(dirname "$0")/.."
profile_dir=${CLERK_FFI_PROFILE_DIR:-release}
if [ "$profile_dir" = release ]; then
    cargo build --quiet -p clerk-ffi --release
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 include/clerk.h "$prefix/include/clerk.h"
install -m 0755 "target/$profile_dir/libclerk.so" "$prefix/lib/libclerk.so"
install -m 0644 "target/$profile_dir/libclerk.a" "$prefix/lib/libclerk.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" clerk-ffi/clerk.pc.in \
    >"$prefix/lib/pkgconfig/clerk.pc"
echo "installed libclerk $version under $prefix"
