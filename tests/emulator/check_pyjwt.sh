#!/usr/bin/env bash
# Checks the emulator's session tokens with an independent JWT library: starts the
# clerk-emulator binary on 127.0.0.1, mints a session token, and verifies it with PyJWT
# (installed with pip into tests/emulator/.venv, which git ignores) against the served
# JWKS, with issuer, authorized party and lifetime checks. Prints "pyjwt: ok" on success.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import jwt, cryptography' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'pyjwt[crypto]>=2.8,<3'
fi

cargo build --quiet --manifest-path "$root/Cargo.toml" -p clerk-emulator --bin clerk-emulator
target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
info_file=$(mktemp)
emulator_pid=
cleanup() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; fi
    rm -f "$info_file"
}
trap cleanup EXIT

"$target_dir/debug/clerk-emulator" --port 0 >"$info_file" &
emulator_pid=$!
for _ in $(seq 1 100); do
    if [ -s "$info_file" ]; then break; fi
    sleep 0.1
done

"$venv/bin/python" - "$info_file" <<'PY'
import json
import sys
import time
import urllib.request

import jwt

info = json.loads(open(sys.argv[1]).readline())
api, key = info["api_url"], info["secret_key"]


def call(method, path, body=None):
    request = urllib.request.Request(
        f"{api}/v1{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


user = call("POST", "/users", {"email_address": ["pyjwt@example.com"]})
org = call("POST", "/organizations", {"name": "PyJWT Org", "created_by": user["id"]})
session = call("POST", "/sessions", {"user_id": user["id"], "active_organization_id": org["id"]})
token = call("POST", f"/sessions/{session['id']}/tokens", {})["jwt"]

signing_key = jwt.PyJWKClient(info["jwks_url"]).get_signing_key_from_jwt(token)
claims = jwt.decode(
    token,
    signing_key.key,
    algorithms=["RS256"],
    issuer=info["issuer"],
    options={"require": ["exp", "iat", "nbf", "sub", "sid", "iss"]},
)
assert claims["sub"] == user["id"], claims
assert claims["sid"] == session["id"], claims
assert claims["v"] == 2 and claims["o"]["id"] == org["id"] and claims["o"]["rol"] == "admin", claims
assert claims["exp"] - claims["iat"] == 60 and claims["iat"] - claims["nbf"] == 10, claims
assert abs(claims["iat"] - time.time()) < 5, claims

header, _, signature = token.split(".")
forged_claims = jwt.utils.base64url_encode(json.dumps({**claims, "sub": "user_forged"}).encode()).decode()
forged = f"{header}.{forged_claims}.{signature}"
try:
    jwt.decode(forged, signing_key.key, algorithms=["RS256"])
    raise SystemExit("a forged signature verified")
except jwt.InvalidSignatureError:
    pass
print(f"pyjwt: ok (kid {signing_key.key_id}, sub {claims['sub']})")
PY
