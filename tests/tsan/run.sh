#!/usr/bin/env bash
# ThreadSanitizer over the Rust concurrency test (clerk-core/tests/concurrency.rs: eight
# threads sharing one Client and one Verifier under key rotation). Needs the nightly
# toolchain with rust-src (the standard library is rebuilt instrumented, -Zbuild-std).
#
# Opt-in: a cold instrumented build of std and every dependency takes far longer than
# the two minutes a suite of scripts/test-all.sh may add, so it runs only with
# CLERK_TSAN=1 (the build is kept in target/tsan; a warm rerun takes seconds). Otherwise,
# or without nightly + rust-src, it prints why it skipped and exits 0.
# Prints "tsan: N passed, N failed" and exits non-zero on a data race or a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

skip() {
    echo "tsan: skipped: $1"
    exit 0
}
[ "${CLERK_TSAN:-0}" = 1 ] ||
    skip "opt-in (CLERK_TSAN=1): a cold -Zbuild-std TSan build takes well over 2 minutes"
rustup run nightly rustc --version >/dev/null 2>&1 ||
    skip "no nightly toolchain (rustup toolchain install nightly)"
rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src' ||
    skip "nightly has no rust-src (rustup +nightly component add rust-src)"

target=$(rustc -vV | sed -n 's/^host: //p')
log=target/tsan/tsan.log
mkdir -p target/tsan
# halt_on_error: the first race fails the run. The report names both stacks.
RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    cargo +nightly test -Zbuild-std --target "$target" --target-dir target/tsan \
    -p clerk-core --test concurrency -- --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
races=$(grep -c 'WARNING: ThreadSanitizer' "$log")
if [ "$status" -eq 0 ] && [ "$races" -eq 0 ]; then
    echo "tsan: 1 passed, 0 failed (no data race reported)"
else
    echo "tsan: 0 passed, 1 failed ($races ThreadSanitizer reports, exit $status)"
    exit 1
fi
