#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what it needs (Debian
# packages, npm and pip packages into local folders), then runs each suite and prints
# one summary line per suite and a final "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR=never

passed=0
failed=0
failed_names=()
suite() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local started=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - started)) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "=== $name: FAILED ($((SECONDS - started)) s)"
    fi
}

# Debian packages the suites need (valgrind and pkg-config for the C tests).
need_packages=()
for tool in valgrind pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || need_packages+=("$tool")
done
if [ ${#need_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${need_packages[*]}"
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_packages[@]}" >/dev/null
    else
        echo "missing ${need_packages[*]}: install them (Debian: apt-get install ${need_packages[*]})" >&2
    fi
fi

spec=${CLERK_SPEC:-$root/../shared/openapi/clerk-bapi-2026-05-12.json}
export CLERK_SPEC=$spec

lint() {
    cargo fmt --all -- --check &&
        cargo clippy --workspace --all-targets --all-features -- -D warnings &&
        RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features -q
}

suite "format, clippy, docs" lint
suite "generated code is up to date (cargo xtask codegen --check)" cargo xtask codegen --check --spec "$spec"
suite "rust tests (workspace)" cargo test --workspace --features clerk-core/cli --no-fail-fast
suite "fuzzing: corpus replay on stable, libFuzzer smoke of each target (fuzz/run.sh)" bash fuzz/run.sh
suite "C library: C tests, valgrind, ASan/UBSan, static link (tests/c/run.sh)" bash tests/c/run.sh
suite "ThreadSanitizer: Rust concurrency test (tests/tsan/run.sh; opt-in, CLERK_TSAN=1)" bash tests/tsan/run.sh
suite "Go package: gofmt, vet, test, -race, static link (bindings/go/run-tests.sh)" bash bindings/go/run-tests.sh
suite "contract: every operation through Prism" bash tests/contract/run.sh
suite "differential: clerk verify vs @clerk/backend" bash tests/differential/run.sh
suite "webhooks: interop with standardwebhooks (PyPI)" bash tests/webhooks/run.sh
suite "emulator: responses validated by prism proxy" bash tests/emulator/prism_proxy.sh
suite "emulator: tokens verified by PyJWT" bash tests/emulator/check_pyjwt.sh
suite "Python package: pytest vs the emulator, mypy, wheel without cargo (bindings/python/run-tests.sh)" bash bindings/python/run-tests.sh

echo
if [ "$failed" -gt 0 ]; then
    echo "failed suites: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
