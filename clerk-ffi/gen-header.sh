#!/bin/sh
# Regenerates include/clerk.h with the pinned cbindgen; `--check` fails on any difference.
set -eu
cd "$(dirname "$0")/.."
exec cargo run --quiet -p clerk-ffi --features header --bin gen-header -- "$@"
