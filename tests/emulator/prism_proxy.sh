#!/usr/bin/env bash
# Proof of faithfulness with an independent validator: runs the clerk-emulator binary
# behind Stoplight Prism in validating proxy mode (Prism from tests/contract, pinned,
# installed into its node_modules) and drives every implemented resource through it
# with prism_drive.py. Fails on any request or response that violates Clerk's spec.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
contract="$root/tests/contract"
spec=${CLERK_SPEC:-$root/../shared/openapi/clerk-bapi-2026-05-12.json}
work=$(mktemp -d)
emulator_pid=
prism_pid=
cleanup() {
    if [ -n "$prism_pid" ]; then kill "$prism_pid" 2>/dev/null || true; fi
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$contract/node_modules/.bin/prism" ]; then
    (cd "$contract" && npm ci --no-audit --no-fund --loglevel=error)
fi
python3 "$contract/derive-spec.py" "$spec" "$work/spec-v1.json"

cargo build --quiet --manifest-path "$root/Cargo.toml" -p clerk-emulator --bin clerk-emulator
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
"$target_dir/debug/clerk-emulator" --port 0 >"$work/emulator.json" &
emulator_pid=$!
for _ in $(seq 1 100); do
    if [ -s "$work/emulator.json" ]; then break; fi
    sleep 0.1
done
read -r api_url secret_key < <(python3 -c 'import json, sys; i = json.load(open(sys.argv[1])); print(i["api_url"], i["secret_key"])' "$work/emulator.json")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$contract/node_modules/.bin/prism" proxy "$work/spec-v1.json" "$api_url" --errors -h 127.0.0.1 -p "$port" >"$work/prism.log" 2>&1 &
prism_pid=$!
for _ in $(seq 1 120); do
    if grep -q "Prism is listening" "$work/prism.log"; then break; fi
    if ! kill -0 "$prism_pid" 2>/dev/null; then cat "$work/prism.log"; exit 1; fi
    sleep 0.5
done
grep -q "Prism is listening" "$work/prism.log" || { echo "Prism did not start"; tail "$work/prism.log"; exit 1; }

python3 "$here/prism_drive.py" "http://127.0.0.1:$port" "$secret_key"
