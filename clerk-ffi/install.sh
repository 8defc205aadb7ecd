#!/bin/sh
# Builds libclerk in release mode and installs it under PREFIX:
#   PREFIX/include/clerk.h, PREFIX/lib/libclerk.so, PREFIX/lib/libclerk.a,
#   PREFIX/lib/pkgconfig/clerk.pc
# Usage: clerk-ffi/install.sh PREFIX      (e.g. /usr/local, or $HOME/.local)
# Then: cc app.c $(pkg-config --cflags --libs clerk) -Wl,-rpath,PREFIX/lib   (shared)
#       cc app.c $(pkg-config --cflags --libs --static clerk) -static-libgcc ... (static:
#       link PREFIX/lib/libclerk.a explicitly, see clerk-ffi/README.md)
#
# The build output is found where Cargo puts it: CARGO_TARGET_DIR, else the
# target_directory of `cargo metadata` (a build.target-dir setting), else ./target.
# CLERK_FFI_PROFILE_DIR=debug installs an existing debug build instead (used by tests).
# The four files are staged next to PREFIX first and each moved into place with a rename,
# so a failed install leaves PREFIX as it was (nothing half-written).
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
fail() {
    echo "install.sh: $*" >&2
    exit 1
}
profile_dir=${CLERK_FFI_PROFILE_DIR:-release}
if [ "$profile_dir" = release ]; then
    cargo build --quiet -p clerk-ffi --release || fail "cargo build -p clerk-ffi --release failed"
fi
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    target_dir=$CARGO_TARGET_DIR
else
    # One line of JSON; the key is unique in it.
    target_dir=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    target_dir=${target_dir:-target}
fi
case $target_dir in
/*) ;;
*) target_dir=$(pwd)/$target_dir ;;
esac
build=$target_dir/$profile_dir
for file in "$build/libclerk.so" "$build/libclerk.a" include/clerk.h clerk-ffi/clerk.pc.in; do
    [ -f "$file" ] || fail "$file is missing (build directory $build; set CARGO_TARGET_DIR if \
Cargo builds elsewhere); nothing was installed"
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" || fail "cannot create directories under $prefix"
# Staged inside PREFIX so that the final renames stay on one file system (atomic).
stage=$(mktemp -d "$prefix/.libclerk-install.XXXXXX") || fail "cannot write under $prefix"
trap 'rm -rf "$stage"' EXIT
install -m 0644 include/clerk.h "$stage/clerk.h"
install -m 0755 "$build/libclerk.so" "$stage/libclerk.so"
install -m 0644 "$build/libclerk.a" "$stage/libclerk.a"
# Only the variable lines hold placeholders; comments in the template are copied as they are.
sed -e "s|^prefix=@PREFIX@\$|prefix=$prefix|" -e "s|^Version: @VERSION@\$|Version: $version|" \
    clerk-ffi/clerk.pc.in >"$stage/clerk.pc"
if grep -q '@[A-Z]*@' "$stage/clerk.pc"; then
    fail "clerk.pc.in has a placeholder install.sh does not fill; nothing was installed"
fi
# The library first, the header and pkg-config file last: a user who sees the new .pc
# finds the new library behind it.
mv -f "$stage/libclerk.so" "$prefix/lib/libclerk.so"
mv -f "$stage/libclerk.a" "$prefix/lib/libclerk.a"
mv -f "$stage/clerk.h" "$prefix/include/clerk.h"
mv -f "$stage/clerk.pc" "$prefix/lib/pkgconfig/clerk.pc"
echo "installed libclerk $version under $prefix"
