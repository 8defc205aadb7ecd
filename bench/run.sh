#!/usr/bin/env bash
# libclerk against its peers, side by side in one run on this machine (a benchmark: it
# prints figures and asserts nothing about them; it is no part of scripts/test-all.sh).
#
#   bench/run.sh [--quick] [--clean-build]
#
# 1. Installs what is missing (as root on Debian: golang-go, libssl-dev, valgrind, time)
#    and the peers into folders under bench/ that git ignores, never as dependencies of
#    the project: npm packages from bench/node/package-lock.json into bench/node, and
#    bench/.venv (bench/requirements.txt: PyJWT, cryptography, the official Python SDK
#    clerk-backend-api, matplotlib for the charts) plus libclerk's own wheel.
# 2. Builds, release: libclerk (clerk-ffi), the emulator, the Rust examples verify_bench
#    and api_bench, bench/c's programs, the Go benchmarks (bindings/go) and bench/go.
# 3. Runs bench/driver.py: interleaved rounds of verification, API calls against
#    emulators on 127.0.0.1, peak RSS while paging 100,000 users, footprint (crates, sizes,
#    wheel vs the SDK's install; with --clean-build a clean release build too), a
#    callgrind profile; writes bench/results/ (results.md, results.csv, PNG charts).
#
# --quick: 2 short rounds, smaller N (for trying; about 4 minutes once built).
# --clean-build: also time a clean `cargo build --release -p clerk-ffi` in its own target
# dir (10+ minutes on a busy 2-core machine). See bench/results/results.md for how long
# the last full run took.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
flags=()
for arg in "$@"; do
    case $arg in
    --quick | --clean-build) flags+=("$arg") ;;
    *)
        echo "usage: bench/run.sh [--quick] [--clean-build]" >&2
        exit 2
        ;;
    esac
done
started=$(date +%s)
say() { echo "[bench $(date +%H:%M:%S)] $*"; }
out=$root/target/bench
mkdir -p "$out"
export CARGO_TARGET_DIR=$root/target
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset SETUPTOOLS_RUST_CARGO_PROFILE LIBCLERK_PATH

# 1. Tools and peers.
missing=()
command -v go >/dev/null || missing+=(golang-go)
[ -f /usr/include/openssl/evp.h ] || missing+=(libssl-dev)
command -v valgrind >/dev/null || missing+=(valgrind)
[ -x /usr/bin/time ] || missing+=(time)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]}"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
    else
        echo "missing: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
        exit 1
    fi
fi
say "peers: npm packages into bench/node (pinned by its package-lock.json)"
npm ci --prefix bench/node --no-audit --no-fund --loglevel=error >/dev/null
venv=$root/bench/.venv
wanted=$(grep -E '^[A-Za-z]' bench/requirements.txt | tr 'A-Z_' 'a-z-' | sort)
have=$("$venv/bin/pip" freeze 2>/dev/null | tr 'A-Z_' 'a-z-' | sort || true)
if [ -n "$(comm -23 <(echo "$wanted") <(echo "$have"))" ]; then
    say "peers: bench/.venv (bench/requirements.txt)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r bench/requirements.txt
fi

# 2. Builds (under nice: the machine is shared).
say "building libclerk, the emulator and the Rust benchmarks (release)"
nice -n 10 cargo build --quiet --release -p clerk-ffi -p clerk-emulator
nice -n 10 cargo build --quiet --release -p clerk-core --features testing \
    --example verify_bench --example api_bench
cp target/release/examples/verify_bench "$out/verify_bench_rs"
cp target/release/examples/api_bench "$out/api_bench_rs"
lib=$root/target/release
for program in verify_bench api_bench; do
    nice -n 10 cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude "bench/c/$program.c" \
        -L"$lib" -Wl,-rpath,"$lib" -lclerk -lcrypto -pthread -o "$out/${program}_c"
done
say "building the Go benchmarks"
export GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1
bash bindings/go/build-lib.sh release >/dev/null
(cd bindings/go && nice -n 10 go test -c -o "$out/gobench.test" .)
(cd bench/go && nice -n 10 go build -o "$out/api_bench_go" .)
say "building libclerk's wheel into bench/.venv"
rm -rf "$out/wheel"
nice -n 10 "$venv/bin/pip" wheel -q --no-deps -w "$out/wheel" bindings/python
"$venv/bin/pip" install -q --force-reinstall --no-deps "$out"/wheel/libclerk-*.whl

# 3. Measure.
say "built in $(($(date +%s) - started)) s; measuring"
"$venv/bin/python" bench/driver.py "${flags[@]}" --setup-seconds "$(($(date +%s) - started))"
say "done in $(($(date +%s) - started)) s: bench/results/results.md"
