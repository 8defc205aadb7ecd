#!/usr/bin/env bash
# The Go package's tests: installs golang-go when go is absent (as root, Debian), builds
# libclerk (debug by default; CLERK_GO_PROFILE=release for the release build) and the
# emulator, then runs gofmt, go vet, go test and go test -race (the tests start the
# emulator binary themselves), and builds the examples with go build to check they run
# without LD_LIBRARY_PATH and without libclerk.so. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
out=${CARGO_TARGET_DIR:-$root/target}/go-tests
mkdir -p "$out"
profile=${CLERK_GO_PROFILE:-debug}

if ! command -v go >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing golang-go"
        apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >/dev/null
    fi
    if ! command -v go >/dev/null 2>&1; then
        echo "go is missing: install it (Debian: apt-get install golang-go)" >&2
        exit 1
    fi
fi
go version
# Never fetch a toolchain or a module: the package needs only the standard library.
export GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1
# go needs a cache and a GOPATH; without HOME (some CI shells) keep them under target/.
if [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    export GOCACHE=${GOCACHE:-$out/gocache} GOPATH=${GOPATH:-$out/gopath}
fi

passed=0
failed=0
failed_steps=()
step() {
    local name=$1
    shift
    echo "--- $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        failed_steps+=("$name")
        echo "FAIL $name"
    fi
}

step "build libclerk.a ($profile) into bindings/go/lib" ./build-lib.sh "$profile"
step "cargo build -p clerk-emulator" cargo build --quiet -p clerk-emulator --manifest-path "$root/Cargo.toml"
export CLERK_EMULATOR_BIN=${CARGO_TARGET_DIR:-$root/target}/debug/clerk-emulator

gofmt_clean() {
    local unformatted
    unformatted=$(gofmt -l .)
    [ -z "$unformatted" ] || {
        echo "not gofmt-clean: $unformatted"
        return 1
    }
}
step "gofmt -l (handwritten and generated)" gofmt_clean
step "go vet ./..." go vet ./...
step "go test ./..." go test -count=1 ./...
step "go test -race ./..." go test -count=1 -race ./...

# Programs built with go build: statically linked against libclerk, run without
# LD_LIBRARY_PATH against an emulator.
static_examples() {
    go build -o "$out/users" ./examples/users &&
        go build -o "$out/server" ./examples/server || return 1
    local program
    for program in users server; do
        if ldd "$out/$program" | grep -q libclerk; then
            echo "$program links libclerk dynamically:"
            ldd "$out/$program"
            return 1
        fi
    done
    "$CLERK_EMULATOR_BIN" --port 0 >"$out/emulator.out" 2>"$out/emulator.err" &
    local emulator_pid=$! server_pid=
    local status=1
    for _ in $(seq 1 300); do
        grep -q '}$' "$out/emulator.out" 2>/dev/null && break
        sleep 0.1
    done
    local api_url secret
    api_url=$(sed -n 's/.*"api_url": *"\([^"]*\)".*/\1/p' "$out/emulator.out")
    secret=$(sed -n 's/.*"secret_key": *"\([^"]*\)".*/\1/p' "$out/emulator.out")
    if [ -n "$api_url" ]; then
        (
            set -e
            export CLERK_API_URL=$api_url CLERK_SECRET_KEY=$secret
            unset LD_LIBRARY_PATH
            # The server example: a session token from the emulator, then /me with it.
            "$out/server" -addr 127.0.0.1:0 2>"$out/server.err" &
            server_pid=$!
            trap 'kill "$server_pid" 2>/dev/null' EXIT
            for _ in $(seq 1 100); do
                grep -q 'listening on' "$out/server.err" && break
                sleep 0.1
            done
            server_url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$out/server.err")
            python3 - "$api_url" "$secret" "$server_url" <<'PY'
import json, sys, urllib.request, urllib.error
api, secret, server = sys.argv[1:4]
def call(method, url, body=None, token=secret):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
_, user = call("POST", api + "/v1/users", {"email_address": ["server-example@example.com"], "first_name": "Ada"})
user = json.loads(user)
_, session = call("POST", api + "/v1/sessions", {"user_id": user["id"]})
session = json.loads(session)
_, token = call("POST", api + "/v1/sessions/%s/tokens" % session["id"], {})
token = json.loads(token)["jwt"]
status, body = call("GET", server + "/me", token=token)
assert status == 200 and json.loads(body) == {"user_id": user["id"], "session_id": session["id"], "first_name": "Ada"}, (status, body)
status, body = call("GET", server + "/me", token="not-a-token")
assert status == 401, (status, body)
status, body = call("GET", server + "/", token=token)
assert status == 200 and body == "hello, %s\n" % user["id"], (status, body)
print("server example: /me signed in (200), bad token (401), / greets the user")
PY
            "$out/users" | tee "$out/users.out"
            grep -q "^1 users (libclerk " "$out/users.out"
        ) && status=0
    fi
    kill "$emulator_pid" 2>/dev/null
    wait "$emulator_pid" 2>/dev/null
    return $status
}
step "examples built with go build run without LD_LIBRARY_PATH or libclerk.so" static_examples

echo
if [ "$failed" -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]}"
fi
echo "go: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
