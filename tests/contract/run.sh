#!/usr/bin/env bash
# Contract run: Stoplight Prism (pinned in package-lock.json, installed here into
# node_modules) mocks Clerk's spec on 127.0.0.1; the contract test sends every operation
# through the typed API and fails on any request violation.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
spec=${CLERK_SPEC:-$root/../shared/openapi/clerk-bapi-2026-05-12.json}
work=$(mktemp -d)
prism_pid=
cleanup() {
    if [ -n "$prism_pid" ]; then kill "$prism_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$here/node_modules/.bin/prism" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
python3 "$here/derive-spec.py" "$spec" "$work/spec-v1.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$here/node_modules/.bin/prism" mock "$work/spec-v1.json" -h 127.0.0.1 -p "$port" >"$work/prism.log" 2>&1 &
prism_pid=$!
for _ in $(seq 1 120); do
    if grep -q "Prism is listening" "$work/prism.log"; then break; fi
    if ! kill -0 "$prism_pid" 2>/dev/null; then cat "$work/prism.log"; exit 1; fi
    sleep 0.5
done
grep -q "Prism is listening" "$work/prism.log" || { echo "Prism did not start"; tail "$work/prism.log"; exit 1; }

status=0
PRISM_URL="http://127.0.0.1:$port" cargo test -p clerk-core --features contract --test contract -- --nocapture || status=$?

# A violation message with a non-Latin-1 character crashes Prism: prove it survived.
if ! kill -0 "$prism_pid" 2>/dev/null; then
    echo "Prism died during the run:"; tail -20 "$work/prism.log"; exit 1
fi
echo "Prism alive after the run"
exit $status
