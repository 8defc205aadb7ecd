#!/usr/bin/env bash
# Webhook signature interop: builds the clerk tool, installs the independent
# `standardwebhooks` Python package into a venv here (once), runs roundtrip.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cargo build --quiet --manifest-path "$repo/Cargo.toml" -p clerk-core --features cli --bin clerk
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet standardwebhooks==1.1.0
fi
"$here/.venv/bin/python" "$here/roundtrip.py" "$target_dir/debug/clerk"
