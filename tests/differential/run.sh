#!/usr/bin/env bash
# Differential test of `clerk verify` against @clerk/backend (the reference SDK).
# Builds the clerk tool, installs the pinned reference from package-lock.json, generates
# a corpus of tokens (fresh keys every run), runs both, compares; prints
# "N passed, N failed" and exits non-zero on any disagreement.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

cargo build --quiet --manifest-path "$repo/Cargo.toml" -p clerk-core --features cli --bin clerk
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

if [ ! -d "$here/node_modules/@clerk/backend" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
cd "$here"
node differential.mjs "$target_dir/debug/clerk"
