#!/usr/bin/env bash
# Builds libclerk and the C tests and runs them against the local emulator: plainly,
# under valgrind memcheck, as an ASan+UBSan build, and linked statically through the
# installed pkg-config file. Installs nothing system-wide (CI installs valgrind and
# pkg-config). Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
# Where Cargo builds: CARGO_TARGET_DIR, else cargo metadata's target_directory.
target=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}
target=${target:-$root/target}
case $target in
/*) ;;
*) target=$root/$target ;;
esac
out=$target/c-tests
mkdir -p "$out"
cc=${CC:-cc}
cxx=${CXX:-c++}
strict=(-std=c99 -Wall -Wextra -Werror -pedantic -g -O1)
programs=(test_client test_verify test_threads test_misuse test_panic test_secrets)

passed=0
failed=0
failed_steps=()
step() {
    local name=$1
    shift
    local log=$out/step.log
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        # Show each program's own check count and valgrind's verdict on the same line.
        local details
        details=$(grep -h -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$|ERROR SUMMARY|definitely lost' "$log" |
            sed -e 's/^==[0-9]*== *//' -e 's/^/ -- /' | tr '\n' ' ')
        echo "ok   $name$details"
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
        echo "FAIL $name"
        tail -n 40 "$log" | sed 's/^/     /'
    fi
}

step "cargo build -p clerk-ffi -p clerk-emulator" \
    cargo build --quiet -p clerk-ffi -p clerk-emulator
lib=$target/debug

# The header on its own, as strict C99 and as C++.
step "clerk.h compiles as C99 (-Wall -Wextra -Werror -pedantic)" \
    "$cc" "${strict[@]}" -Iinclude -fsyntax-only -x c include/clerk.h
step "clerk.h compiles as C++ (-Wall -Wextra -Werror -pedantic)" \
    "$cxx" -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude -Itests/c \
    tests/c/test_header.cpp -L"$lib" -Wl,-rpath,"$lib" -lclerk -o "$out/test_header_cpp"
step "C++ program runs" "$out/test_header_cpp"

step "compile mint_token (C99, -Werror)" \
    "$cc" "${strict[@]}" -Iinclude -Itests/c tests/c/mint_token.c \
    -L"$lib" -Wl,-rpath,"$lib" -lclerk -o "$out/mint_token"
for program in "${programs[@]}"; do
    step "compile $program (C99, -Werror)" \
        "$cc" "${strict[@]}" -Iinclude -Itests/c "tests/c/$program.c" \
        -L"$lib" -Wl,-rpath,"$lib" -lclerk -lpthread -o "$out/$program"
    step "compile $program with ASan+UBSan" \
        "$cc" "${strict[@]}" -fsanitize=address,undefined -fno-omit-frame-pointer \
        -fno-sanitize-recover=all -Iinclude -Itests/c "tests/c/$program.c" \
        -L"$lib" -Wl,-rpath,"$lib" -lclerk -lpthread -o "$out/$program.asan"
done

# Static linking through an installed tree and its pkg-config file.
prefix=$out/prefix
step "install.sh into a prefix (debug build)" \
    env CLERK_FFI_PROFILE_DIR=debug clerk-ffi/install.sh "$prefix"
static_link() {
    local pc="env PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config"
    # -Bstatic picks libclerk.a over libclerk.so; Libs.private brings the system libraries.
    "$cc" "${strict[@]}" $($pc --cflags clerk) -Itests/c tests/c/test_client.c \
        -L"$($pc --variable=libdir clerk)" -Wl,-Bstatic -lclerk -Wl,-Bdynamic \
        $($pc --static --libs-only-l clerk | sed 's/-lclerk//') -o "$out/test_client.static" &&
        ! readelf -d "$out/test_client.static" | grep -q 'libclerk'
}
step "link test_client statically via pkg-config --static" static_link

# install.sh finds the build through CARGO_TARGET_DIR (here a second target directory
# holding the same debug build), installs into a fresh prefix, and a program built with
# pkg-config and the rpath form runs from it without LD_LIBRARY_PATH.
custom_install() {
    local custom=$out/custom-target prefix2=$out/prefix-custom
    rm -rf "$custom" "$prefix2" && mkdir -p "$custom" && ln -s "$lib" "$custom/debug" || return 1
    env CARGO_TARGET_DIR="$custom" CLERK_FFI_PROFILE_DIR=debug clerk-ffi/install.sh "$prefix2" ||
        return 1
    local pc="env PKG_CONFIG_PATH=$prefix2/lib/pkgconfig pkg-config"
    printf '#include <stdio.h>\n#include <clerk.h>\nint main(void) { printf("libclerk %%s\\n", clerk_version()); return 0; }\n' \
        >"$out/version.c"
    "$cc" "${strict[@]}" "$out/version.c" $($pc --cflags --libs clerk) \
        -Wl,-rpath,"$($pc --variable=libdir clerk)" -o "$out/version" || return 1
    # Outputs captured first: `cmd | grep -q` fails under pipefail when grep exits early.
    local ran linked
    ran=$(env -u LD_LIBRARY_PATH "$out/version") && linked=$(ldd "$out/version") || return 1
    grep -q '^libclerk [0-9]' <<<"$ran" && grep -q "$prefix2/lib/libclerk.so" <<<"$linked" ||
        return 1
    # The comment line of the template is copied as it is, not filled in.
    local left
    left=$(ls -A "$prefix2")
    grep -q '^# pkg-config file for libclerk, written by clerk-ffi/install.sh' \
        "$prefix2/lib/pkgconfig/clerk.pc" && ! grep -q 'libclerk-install' <<<"$left"
}
step "install.sh honours CARGO_TARGET_DIR; rpath-linked program runs from the prefix" custom_install
# A target directory without the build fails clearly and leaves no half-made prefix.
missing_build() {
    local prefix3=$out/prefix-missing
    rm -rf "$prefix3" "$out/empty-target" && mkdir -p "$out/empty-target"
    ! env CARGO_TARGET_DIR="$out/empty-target" CLERK_FFI_PROFILE_DIR=debug \
        clerk-ffi/install.sh "$prefix3" 2>"$out/missing.err" &&
        grep -q 'libclerk.so is missing' "$out/missing.err" && [ ! -e "$prefix3" ]
}
step "install.sh without a build fails clearly, prefix untouched" missing_build
step "static link flags pinned (clerk-ffi/check-static-libs.sh)" clerk-ffi/check-static-libs.sh

# The emulator prints one JSON line with its URL and keys, then serves.
emulator_log=$out/emulator.out
emulator_cmd=${CLERK_EMULATOR_CMD:-$target/debug/clerk-emulator}
$emulator_cmd >"$emulator_log" 2>"$out/emulator.err" &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null' EXIT
# Wait (bounded, 30 s) for the whole first line, not just its first bytes.
for _ in $(seq 1 300); do
    [ "$(head -n 1 "$emulator_log" | grep -c '}$')" = 1 ] && break
    kill -0 "$emulator_pid" 2>/dev/null || break
    sleep 0.1
done
field() { head -n 1 "$emulator_log" | sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p"; }
export CLERK_TEST_API_URL=$(field api_url)
export CLERK_TEST_SECRET_KEY=$(field secret_key)
export CLERK_TEST_KID=$(field kid)
export CLERK_TEST_FIXTURES=$root/tests/c/fixtures
# The emulator signs session tokens with this committed test key; its JWKS holds the
# public half, under the kid of the JSON line.
export CLERK_TEST_SIGNING_KEY=$root/tests/emulator/fixtures/signing_key_1.pem
step "emulator started ($CLERK_TEST_API_URL)" test -n "$CLERK_TEST_API_URL"

valgrind_run() {
    local program=$1
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --log-file="$out/$program.valgrind" "$out/$program" &&
        grep -h -E 'ERROR SUMMARY|definitely lost' "$out/$program.valgrind"
}
for program in "${programs[@]}"; do
    step "run $program" "$out/$program"
    step "run $program under valgrind memcheck" valgrind_run "$program"
    step "run $program with ASan+UBSan" \
        env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/$program.asan"
done
step "run test_client linked statically" "$out/test_client.static"

# The example a C developer copies: built as its header comment says, against the prefix.
example() {
    local pc="env PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config"
    "$cc" "${strict[@]}" clerk-ffi/examples/verify_and_list.c $($pc --cflags --libs clerk) \
        -Wl,-rpath,"$prefix/lib" -o "$out/verify_and_list" || return 1
    "$out/mint_token" "$CLERK_TEST_SIGNING_KEY" "$CLERK_TEST_KID" >"$out/example_token" ||
        return 1
    local token
    token=$(grep -o 'token=.*' "$out/example_token" | cut -d= -f2-)
    CLERK_SECRET_KEY=$CLERK_TEST_SECRET_KEY CLERK_API_URL=$CLERK_TEST_API_URL \
        "$out/verify_and_list" "Bearer $token" | tee "$out/example.out" &&
        grep -q '"status":"signed-in"' "$out/example.out" &&
        grep -q '^[0-9]* page(s)$' "$out/example.out"
}
step "example verify_and_list builds via pkg-config and runs" example

echo
if [ "$failed" -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
