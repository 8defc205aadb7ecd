#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing): session token verification through
# libclerk's C ABI vs raw RSA-2048 verification with OpenSSL libcrypto (needs libssl-dev),
# the ABI call overhead, and the stripped size of libclerk.so. Release build.
# Usage: bench/c/run.sh [SECONDS_PER_MEASUREMENT]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=$root/target/c-bench
mkdir -p "$out"
cargo build --quiet --release -p clerk-ffi
lib=$root/target/release
cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude bench/c/verify_bench.c \
    -L"$lib" -Wl,-rpath,"$lib" -lclerk -lcrypto -pthread -o "$out/verify_bench"
"$out/verify_bench" tests/c/fixtures/other_signing_key.pem \
    tests/c/fixtures/other_signing_key.pub.pem "${1:-2}"
cp "$lib/libclerk.so" "$out/libclerk.so"
strip "$out/libclerk.so"
size=$(stat -c %s "$out/libclerk.so")
awk -v size="$size" 'BEGIN { printf "libclerk.so stripped: %d bytes (%.2f MB; goal <= 3 MB)\n", size, size / 1048576 }'
