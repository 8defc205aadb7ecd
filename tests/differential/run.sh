#!/usr/bin/env bash
# Differential tests against @clerk/backend (the reference SDK): `clerk verify --jsonl`
# against verifyToken (differential.mjs) and `clerk authenticate --jsonl` against
# authenticateRequest (requests.mjs). Builds the clerk tool, installs the pinned
# reference from package-lock.json, generates the corpora (fresh keys every run), runs
# both sides, compares; each prints "N passed, N failed", and the script exits non-zero
# on any disagreement.
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
status=0
node differential.mjs "$target_dir/debug/clerk" || status=1
node requests.mjs "$target_dir/debug/clerk" || status=1
exit "$status"
