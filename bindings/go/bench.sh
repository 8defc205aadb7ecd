#!/usr/bin/env bash
# Benchmark (prints figures, asserts nothing; not part of the tests): session token
# verification from Go with the release libclerk. Verifier.Verify against a
# standard-library RS256 check of the same token (base64url + encoding/json +
# crypto/rsa), the raw RSA check alone (rsa.VerifyPKCS1v15, pre-parsed key, pre-hashed
# input) and clerk_verifier_verify driven from a C loop; each on one goroutine and with
# RunParallel on 2 cores. Then bench/c/run.sh (raw RSA through OpenSSL) when libssl-dev is
# installed.
# Usage: bindings/go/bench.sh [BENCHTIME]   (default 3s per benchmark)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
export GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1
./build-lib.sh release
cargo build --quiet -p clerk-emulator --manifest-path "$root/Cargo.toml"
export CLERK_EMULATOR_BIN=${CARGO_TARGET_DIR:-$root/target}/debug/clerk-emulator
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench . -benchtime "${1:-3s}" -count 1 -cpu 2 . | tee "$out"
awk '
/^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
    for (i = 2; i < NF; i++) {
        if ($(i + 1) == "tokens/cpu-s") cpu[name] = $i
        if ($(i + 1) == "tokens/s") wall[name] = $i
    }
}
END {
    printf "\nsummary (tokens per CPU-second; wall tokens/s in brackets)\n"
    split("Verify StdlibRS256 RawRSAStdlib CVerifyLoop", names, " ")
    for (k = 1; k <= 4; k++) {
        n = names[k]
        printf "  %-14s 1 goroutine %7.0f [%7.0f]   RunParallel %7.0f [%7.0f]   parallel/single wall %.2fx\n",
            n, cpu[n], wall[n], cpu[n "Parallel"], wall[n "Parallel"], wall[n "Parallel"] / wall[n]
    }
    printf "  Verify / stdlib RS256 check:      %.2fx per CPU-second (goal >= 3)\n", cpu["Verify"] / cpu["StdlibRS256"]
    printf "  Verify / stdlib raw RSA:          %.2fx per CPU-second\n", cpu["Verify"] / cpu["RawRSAStdlib"]
    printf "  Verify / C loop of the C ABI:     %.2fx per CPU-second (goal >= 0.85 of raw RSA from C)\n", cpu["Verify"] / cpu["CVerifyLoop"]
    printf "  VerifyParallel / Verify, wall:    %.2fx (goal >= 1.7 on 2 cores)\n", wall["VerifyParallel"] / wall["Verify"]
}' "$out"
if [ -f /usr/include/openssl/evp.h ]; then
    echo
    echo "raw RSA from C (bench/c/run.sh: OpenSSL vs clerk_verifier_verify):"
    bash "$root/bench/c/run.sh"
fi
