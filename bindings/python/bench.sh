#!/usr/bin/env bash
# Benchmark and footprint (prints figures, asserts nothing; not part of the tests):
# - builds the release wheel (`pip wheel ./bindings/python`) and prints its size;
# - installs it into a benchmark-only venv (bindings/python/.venv-bench, git ignores it)
#   with pinned PyJWT and cryptography, and runs bench/verify_bench.py: Verifier.verify vs
#   the bare ctypes call, raw RSA (OpenSSL via cryptography) and PyJWT, 1 vs 2 threads;
# - with --sdk, installs the official SDK (clerk-backend-api) into a scratch venv and
#   prints its installed footprint next to libclerk's.
# Usage: bindings/python/bench.sh [--sdk] [SECONDS_PER_MEASUREMENT]   (default 2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
sdk=false
if [ "${1:-}" = "--sdk" ]; then
    sdk=true
    shift
fi
seconds=${1:-2}
venv=$here/.venv-bench
out=$venv/out
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset SETUPTOOLS_RUST_CARGO_PROFILE LIBCLERK_PATH
pins=(PyJWT==2.15.0 cryptography==50.0.2)

frozen=$("$venv/bin/pip" freeze 2>/dev/null || true)
if ! grep -qixF "${pins[0]}" <<<"$frozen" || ! grep -qxF "${pins[1]}" <<<"$frozen"; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q "${pins[@]}"
fi
mkdir -p "$out"
rm -rf "$out/wheel"
echo "building the release wheel (cargo --release through setuptools-rust)..."
"$venv/bin/pip" wheel -q --no-deps -w "$out/wheel" "$here"
wheel=$(ls "$out"/wheel/libclerk-*.whl)
"$venv/bin/pip" install -q --force-reinstall --no-deps "$wheel"
site=$("$venv/bin/python" -c 'import libclerk, os; print(os.path.dirname(libclerk.__file__))')
echo "$(basename "$wheel"): $(wc -c <"$wheel") bytes; installed: $(du -sk "$site" | cut -f1) KiB ($(du -sh "$site" | cut -f1))"

"$venv/bin/python" "$here/bench/verify_bench.py" \
    "$root/tests/c/fixtures/other_signing_key.pem" "$root/tests/c/fixtures/other_signing_key.pub.pem" "$seconds"

if $sdk; then
    scratch=$venv/sdk
    rm -rf "$scratch"
    "$python" -m venv "$scratch"
    before=$(du -sk "$("$scratch/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" | cut -f1)
    "$scratch/bin/pip" install -q clerk-backend-api
    purelib=$("$scratch/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    after=$(du -sk "$purelib" | cut -f1)
    count=$("$scratch/bin/pip" list --format=freeze | grep -vicE '^(pip|setuptools)==')
    version=$("$scratch/bin/pip" show clerk-backend-api | sed -n 's/^Version: //p')
    echo "clerk-backend-api $version: $count distributions, site-packages $(du -sh "$purelib" | cut -f1)" \
        "($((after - before)) KiB over an empty venv)"
    rm -rf "$scratch"
fi
