#!/usr/bin/env bash
# The Python package's suite: makes venvs in bindings/python/.venv-suite (git ignores it)
# with pinned pytest and mypy, installs the package with `pip install ./bindings/python`
# (cargo builds libclerk through setuptools-rust), builds the emulator, runs pytest (the
# emulator is started on 127.0.0.1 by a session fixture) and mypy --strict on the
# package; then builds a wheel once and installs and uses it in a clean venv whose PATH
# has no cargo (and in another CPython 3 when one is installed). Prints pytest's summary
# line and "python: N passed, N failed"; exits non-zero on any failure.
#
# The package is built with cargo's dev profile here (it reuses the workspace's debug
# artifacts; set LIBCLERK_CARGO_PROFILE=release to test the release build users get).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
python=${PYTHON:-python3}
venvs=$here/.venv-suite
out=$venvs/out
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export SETUPTOOLS_RUST_CARGO_PROFILE=${LIBCLERK_CARGO_PROFILE:-dev}
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset LIBCLERK_PATH
pins=(pytest==8.3.5 mypy==1.15.0)

passed=0
failed=0
failed_steps=()
step() {
    local name=$1
    shift
    local log=$out/step.log
    local started=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name ($((SECONDS - started)) s)"
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
        echo "FAIL $name ($((SECONDS - started)) s)"
        tail -n 60 "$log" | sed 's/^/     /'
    fi
}
mkdir -p "$out"
# setuptools builds in-tree: start without files a previous build left there.
rm -rf "$here/build" "$here"/*.egg-info

test_venv() {
    local frozen
    frozen=$("$venvs/test/bin/pip" freeze 2>/dev/null)
    if ! grep -qxF "${pins[0]}" <<<"$frozen" || ! grep -qxF "${pins[1]}" <<<"$frozen"; then
        rm -rf "$venvs/test"
        "$python" -m venv "$venvs/test" && "$venvs/test/bin/pip" install -q "${pins[@]}"
    fi
}
step "venv with ${pins[*]}" test_venv
step "cargo build -p clerk-emulator" cargo build --quiet --manifest-path "$root/Cargo.toml" -p clerk-emulator
step "pip install ./bindings/python (cargo profile $SETUPTOOLS_RUST_CARGO_PROFILE)" \
    "$venvs/test/bin/pip" install --force-reinstall --no-deps "$here"

run_pytest() {
    CLERK_EMULATOR_BIN=$CARGO_TARGET_DIR/debug/clerk-emulator \
        "$venvs/test/bin/pytest" -q -rfE -p no:cacheprovider tests
}
# pytest's own output, closing summary line included, goes to the console.
started=$SECONDS
run_pytest 2>&1 | tee "$out/pytest.log"
if [ "${PIPESTATUS[0]}" = 0 ]; then
    passed=$((passed + 1))
    echo "ok   pytest against the emulator ($((SECONDS - started)) s)"
else
    failed=$((failed + 1))
    failed_steps+=("pytest")
    echo "FAIL pytest against the emulator ($((SECONDS - started)) s)"
fi

step "mypy --strict on the package (stub included)" "$venvs/test/bin/mypy" --no-incremental

# One wheel, then a clean venv without cargo on PATH.
rm -rf "$out/wheel"
step "pip wheel ./bindings/python" "$venvs/test/bin/pip" wheel --no-deps -w "$out/wheel" "$here"
wheel=$(ls "$out"/wheel/libclerk-*.whl 2>/dev/null | head -n 1)
if [ -n "$wheel" ]; then
    echo "     $(basename "$wheel"): $(wc -c <"$wheel") bytes"
fi
step "the wheel is tagged py3-none-<platform>" \
    bash -c '[[ "$(basename "$1")" =~ ^libclerk-[0-9.]+-py3-none-[a-z0-9_]+\.whl$ ]]' _ "$wheel"

no_cargo_path=$(printf '%s\n' "${PATH//:/$'\n'}" | while read -r dir; do
    [ -n "$dir" ] && [ ! -e "$dir/cargo" ] && printf '%s:' "$dir"
done)
no_cargo_path=${no_cargo_path%:}

emulator_pid=
cleanup() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null; fi
}
trap cleanup EXIT

wheel_smoke() {
    local interpreter=$1 venv=$2
    rm -rf "$venv"
    "$interpreter" -m venv "$venv" || return 1
    env -i HOME="$HOME" PATH="$no_cargo_path" "$venv/bin/pip" install -q --no-index --no-deps "$wheel" || return 1
    emulator_pid=
    "$CARGO_TARGET_DIR/debug/clerk-emulator" --port 0 >"$out/emulator.json" 2>/dev/null &
    emulator_pid=$!
    for _ in $(seq 1 100); do
        grep -q '}$' "$out/emulator.json" 2>/dev/null && break
        sleep 0.1
    done
    (cd "$out" && env -i HOME="$HOME" PATH="$no_cargo_path" "$venv/bin/python" - "$out/emulator.json" \
        "$root/tests/c/fixtures/other_signing_key.pem" "$root/tests/c/fixtures/other_signing_key.pub.pem" <<'PY')
import json, shutil, sys
assert shutil.which("cargo") is None, "cargo is on PATH"
import libclerk, libclerk.testing
assert "site-packages" in libclerk.__file__, libclerk.__file__
info = json.loads(open(sys.argv[1]).readline())
with libclerk.Client(info["secret_key"], api_url=info["api_url"]) as client:
    user = client.users.create(email_address=["wheel@example.com"])
    assert client.users.get(user_id=user["id"])["id"] == user["id"]
token = libclerk.testing.mint_session_token(open(sys.argv[2]).read(), "kid_wheel", {"sub": "user_wheel"})
with libclerk.Verifier(open(sys.argv[3]).read()) as verifier:
    assert verifier.verify(token)["sub"] == "user_wheel"
print(f"wheel works on Python {sys.version.split()[0]}: {len(libclerk.OPERATIONS)} operations, "
      f"library {libclerk.library_version()}")
PY
    local status=$?
    kill "$emulator_pid" 2>/dev/null
    wait "$emulator_pid" 2>/dev/null
    emulator_pid=
    return $status
}
step "the wheel installs and works in a clean venv without cargo" wheel_smoke "$python" "$venvs/clean"
grep -h '^wheel works' "$out/step.log" | sed 's/^/     /'

# The same wheel in another CPython 3, when this machine has one (on PATH or from pyenv).
this=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
other=
candidates=(python3.9 python3.10 python3.12 python3.13)
if command -v pyenv >/dev/null 2>&1; then
    mapfile -t -O "${#candidates[@]}" candidates < <(ls -d "$(pyenv root)"/versions/3.*/bin/python3 2>/dev/null | sort -V)
fi
for candidate in "${candidates[@]}"; do
    version=$("$candidate" -c 'import sys, venv; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    if [ "$version" != "$this" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
        other=$candidate
        break
    fi
done
if [ -n "$other" ]; then
    step "the same wheel in Python $version" wheel_smoke "$other" "$venvs/clean-other"
    grep -h '^wheel works' "$out/step.log" | sed 's/^/     /'
else
    echo "skip the same wheel in another CPython 3 (none installed besides $this)"
fi

echo
if [ "$failed" -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]}"
fi
echo "python: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
