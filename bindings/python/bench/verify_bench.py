"""Session token verification throughput from Python (a benchmark: prints, asserts nothing).

One RS256 token (2048-bit key), verified over and over on one thread by:
- libclerk ``Verifier.verify`` (the claims come back as a dict);
- ``clerk_verifier_verify`` called through ctypes directly (no JSON parsing, no wrapper);
- ``cryptography``'s RSA PKCS#1 v1.5 verify of the token's signature with a pre-parsed
  key: OpenSSL's raw rate, the floor of any RS256 verifier;
- PyJWT ``jwt.decode`` with the pre-parsed key (its fastest use);
then ``Verifier.verify`` on 2 threads sharing one verifier.

Figures are tokens per CPU-second (process CPU time) and per wall-second. Each
measurement is bounded in count and time. Usage: verify_bench.py PRIVATE_PEM PUBLIC_PEM
[SECONDS]

With ``CLERK_BENCH_TOKEN_FILE`` set (bench/run.sh: every contestant verifies one token) it
runs one round on that token instead and prints one JSON line per measurement:
``Verifier.verify`` and PyJWT on 1 and 2 threads, and, when the official SDK
(clerk-backend-api) is installed, its networkless ``verify_token`` and
``authenticate_request`` with ``jwt_key`` on 1 thread.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import sys
import threading
import time
from typing import Callable, List, Tuple

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

import libclerk
import libclerk.testing
from libclerk import _ffi

MAX_COUNT = 2_000_000


def measure(work: Callable[[], object], seconds: float) -> Tuple[float, float, int]:
    """(tokens per CPU-second, tokens per wall-second, count) of ``work`` on this thread."""
    for _ in range(200):  # warm-up
        work()
    count = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    deadline = wall0 + seconds
    while count < MAX_COUNT:
        for _ in range(100):
            work()
        count += 100
        if time.perf_counter() >= deadline:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return count / cpu, count / wall, count


def measure_threads(
    work: Callable[[], object], threads: int, seconds: float
) -> Tuple[float, float, int]:
    counts: List[int] = [0] * threads
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def run(index: int) -> None:
        for _ in range(200):
            work()
        start.wait()
        done = 0
        while not stop.is_set() and done < MAX_COUNT:
            for _ in range(100):
                work()
            done += 100
        counts[index] = done

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    start.wait()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    total = sum(counts)
    return total / cpu, total / wall, total


def jsonl_round(token: str, public_pem: str, seconds: float) -> None:
    """bench/run.sh's round: one JSON line per measurement (counts, wall and CPU seconds)."""
    verifier = libclerk.Verifier(public_pem)
    public_key = serialization.load_pem_public_key(public_pem.encode())
    rows: List[Tuple[str, Callable[[], object], Tuple[int, ...]]] = [
        ("python-wrapper", lambda: verifier.verify(token), (1, 2)),
        ("pyjwt", lambda: jwt.decode(token, public_key, algorithms=["RS256"]), (1, 2)),  # type: ignore[arg-type]
    ]
    try:
        import httpx
        from clerk_backend_api.security import authenticate_request, verify_token
        from clerk_backend_api.security.types import (
            AuthenticateRequestOptions,
            VerifyTokenOptions,
        )
    except ImportError:
        pass
    else:
        verify_options = VerifyTokenOptions(jwt_key=public_pem)
        auth_options = AuthenticateRequestOptions(jwt_key=public_pem)
        request = httpx.Request(
            "GET", "http://127.0.0.1/", headers={"Authorization": f"Bearer {token}"}
        )

        def sdk_authenticate() -> None:
            state = authenticate_request(request, auth_options)
            if not state.is_signed_in:
                raise RuntimeError(f"authenticate_request: {state.reason}")

        rows.append(("py-sdk-verify_token", lambda: verify_token(token, verify_options), (1,)))
        rows.append(("py-sdk-authenticate_request", sdk_authenticate, (1,)))
    for name, work, thread_counts in rows:
        work()  # fails loudly before measuring if the token does not verify
        for threads in thread_counts:
            cpu_rate, wall_rate, count = measure_threads(work, threads, seconds)
            line = {
                "bench": "verify", "impl": name, "threads": threads, "count": count,
                "wall_s": count / wall_rate, "cpu_s": count / cpu_rate,
            }
            print(json.dumps(line), flush=True)


def main() -> None:
    if os.environ.get("CLERK_BENCH_TOKEN_FILE"):
        with open(os.environ["CLERK_BENCH_TOKEN_FILE"]) as file:
            token = file.read().strip()
        with open(sys.argv[2]) as file:
            public_pem = file.read()
        jsonl_round(token, public_pem, float(sys.argv[3]) if len(sys.argv) > 3 else 1.0)
        return
    private_pem = open(sys.argv[1]).read()
    public_pem = open(sys.argv[2]).read()
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    now = int(time.time())
    token = libclerk.testing.mint_session_token(
        private_pem, "kid_bench", {"sub": "user_bench", "exp": now + 3600, "iat": now, "nbf": now}
    )

    verifier = libclerk.Verifier(public_pem)
    assert verifier.verify(token)["sub"] == "user_bench"

    handle = verifier._handle.enter()  # held for the whole run: raw calls below
    encoded = token.encode()
    raw_verify, string_free = _ffi.verifier_verify, _ffi.string_free

    def ctypes_direct() -> None:
        out = ctypes.c_void_p()
        code = raw_verify(handle, encoded, ctypes.byref(out))
        string_free(out)
        assert code == 0

    public_key = serialization.load_pem_public_key(public_pem.encode())
    header, payload, signature = token.split(".")
    signing_input = f"{header}.{payload}".encode()
    raw_signature = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def openssl_raw() -> None:
        public_key.verify(raw_signature, signing_input, pkcs1, sha256)  # type: ignore[union-attr]

    def pyjwt() -> None:
        jwt.decode(token, public_key, algorithms=["RS256"])  # type: ignore[arg-type]

    print(
        f"token: RS256, 2048-bit key, {len(token)} bytes; {seconds:g} s per measurement; "
        f"Python {sys.version.split()[0]}, libclerk {libclerk.library_version()}, "
        f"PyJWT {jwt.__version__}"
    )
    print(f"{'':44} {'tokens/CPU-s':>13} {'tokens/s':>10}")
    rows = [
        ("libclerk Verifier.verify", lambda: verifier.verify(token)),
        ("clerk_verifier_verify via ctypes (no JSON)", ctypes_direct),
        ("raw RSA verify, cryptography (OpenSSL)", openssl_raw),
        (f"PyJWT {jwt.__version__} jwt.decode", pyjwt),
    ]
    results = {}
    for name, work in rows:
        cpu_rate, wall_rate, _ = measure(work, seconds)
        results[name] = cpu_rate
        print(f"{name:44} {cpu_rate:13,.0f} {wall_rate:10,.0f}")
    one_cpu, one_wall, _ = measure_threads(lambda: verifier.verify(token), 1, seconds)
    two_cpu, two_wall, _ = measure_threads(lambda: verifier.verify(token), 2, seconds)
    print(f"{'Verifier.verify, 1 thread':44} {one_cpu:13,.0f} {one_wall:10,.0f}")
    print(f"{'Verifier.verify, 2 threads (one verifier)':44} {two_cpu:13,.0f} {two_wall:10,.0f}")
    # The same without the claims' JSON parsing, which is what holds the GIL.
    bare_one = measure_threads(ctypes_direct, 1, seconds)[1]
    bare_two_cpu, bare_two, _ = measure_threads(ctypes_direct, 2, seconds)
    print(f"{'bare ctypes call, 2 threads':44} {bare_two_cpu:13,.0f} {bare_two:10,.0f}")
    ours = results["libclerk Verifier.verify"]
    print(
        f"Verifier.verify = {ours / results['raw RSA verify, cryptography (OpenSSL)']:.2f}x raw RSA "
        f"(goal >= 0.85), {ours / results[f'PyJWT {jwt.__version__} jwt.decode']:.2f}x PyJWT (goal >= 4), "
        f"{ours / results['clerk_verifier_verify via ctypes (no JSON)']:.2f}x the bare ctypes call; "
        f"2 threads = {two_wall / one_wall:.2f}x 1 thread in tokens/s (goal >= 1.7; "
        f"the bare ctypes call: {bare_two / bare_one:.2f}x)"
    )
    verifier._handle.leave()
    verifier.close()


if __name__ == "__main__":
    main()
