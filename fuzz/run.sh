#!/usr/bin/env bash
# The fuzzing suite of the README's test command: replays the committed corpus of every
# target on the stable toolchain (a plain cargo test, fuzz/tests/replay.rs), then, when the
# nightly toolchain is installed, builds the libFuzzer targets with cargo-fuzz (installed
# into target/tools from crates.io when it is not on PATH) and runs each one briefly
# (FUZZ_SMOKE_SECONDS, default 6 s; new inputs go to target/fuzz-corpus, never into the
# committed corpus). Prints "fuzz: N passed, N failed"; exits non-zero on any failure.
#
# Longer runs (the figures in tests/RELIABILITY.md), one target at a time:
#   FUZZ_RUNS=10000000 bash fuzz/run.sh long TARGET
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TERM_COLOR=never
# The targets never read these, but a verifier or client built from the environment
# must not find a real key on a developer's machine.
unset CLERK_SECRET_KEY CLERK_JWT_KEY CLERK_API_URL CLERK_API_VERSION CLERK_WEBHOOK_SECRET
targets=(verify_token params_request webhook_verify authenticate_request cli_jsonl c_abi)
smoke_seconds=${FUZZ_SMOKE_SECONDS:-6}
scratch=$root/target/fuzz-corpus
# libFuzzer options of every run: a 10 s input is a hang, 2 GiB a memory blow-up;
# LeakSanitizer (part of the default AddressSanitizer build) reports leaks.
fuzz_options=(-timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1)

passed=0
failed=0
failed_steps=()
step() {
    local name=$1
    shift
    local started=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name ($((SECONDS - started)) s)"
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
        echo "FAIL $name ($((SECONDS - started)) s)"
    fi
}

cargo_fuzz() {
    if command -v cargo-fuzz >/dev/null 2>&1; then
        return 0
    fi
    local tools=$root/target/tools
    export PATH=$tools/bin:$PATH
    command -v cargo-fuzz >/dev/null 2>&1 ||
        cargo install --quiet --locked --root "$tools" cargo-fuzz
}

# One target under libFuzzer; prints libFuzzer's closing figures.
run_target() {
    local target=$1
    shift
    local log=$root/target/fuzz-logs/$target.log
    mkdir -p "$scratch/$target" "$(dirname "$log")"
    # The committed corpus is read, never written: new inputs go to the scratch folder.
    cargo +nightly fuzz run --features libfuzzer -O -a "$target" \
        "$scratch/$target" "fuzz/corpus/$target" -- "${fuzz_options[@]}" "$@" >"$log" 2>&1
    local status=$?
    grep -E '^(#[0-9]+ *DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" |
        sed 's/^/     /'
    grep -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^/     last: /'
    if [ $status -ne 0 ]; then
        grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 20 | sed 's/^/     /'
    fi
    return $status
}

if [ "${1:-}" = long ]; then
    target=${2:?usage: fuzz/run.sh long TARGET}
    cargo_fuzz || exit 1
    runs=${FUZZ_RUNS:-10000000}
    max_time=${FUZZ_MAX_SECONDS:-900}
    run_target "$target" -runs="$runs" -max_total_time="$max_time"
    exit $?
fi

# The root workspace's lint suite does not see this crate.
step "cargo fmt --check (fuzz crate)" cargo fmt --manifest-path fuzz/Cargo.toml -- --check
step "corpus replay on stable (cargo test --manifest-path fuzz/Cargo.toml --test replay)" \
    env CARGO_TARGET_DIR="$root/target" cargo test --quiet --manifest-path fuzz/Cargo.toml --test replay

if cargo +nightly --version >/dev/null 2>&1; then
    step "cargo-fuzz available (on PATH or installed into target/tools)" cargo_fuzz
    step "cargo +nightly fuzz build (AddressSanitizer, debug assertions)" \
        cargo +nightly fuzz build --features libfuzzer -O -a
    for target in "${targets[@]}"; do
        step "fuzz $target for ${smoke_seconds} s" run_target "$target" -max_total_time="$smoke_seconds"
    done
else
    echo "skip libFuzzer smoke runs (no nightly toolchain: rustup toolchain install nightly)"
fi

echo
if [ "$failed" -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]}"
fi
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
