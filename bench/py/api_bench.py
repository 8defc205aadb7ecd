"""Backend API call throughput from Python (a benchmark for bench/run.sh: prints, asserts
nothing), against a Clerk emulator on 127.0.0.1: libclerk's ``Client`` or the official
SDK (``clerk-backend-api``, its ``server_url`` pointed at the emulator's ``/v1``).

    api_bench.py IMPL URL SECRET get N USER_ID    N sequential users.get
    api_bench.py IMPL URL SECRET list TOTAL PAGE  page through users.list (limit PAGE)
                                                  until TOTAL users or the end

IMPL is ``libclerk`` or ``py-sdk``. Prints one JSON line: calls, items, wall seconds and
process CPU seconds around the loop.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable, Iterator, Tuple


def libclerk_impl(url: str, secret: str) -> Tuple[Callable[[str], Any], Callable[[int], Iterator[Any]]]:
    import libclerk

    client = libclerk.Client(secret, api_url=url)

    def list_pages(page: int) -> Iterator[Any]:
        return iter(client.pages("users.list", limit=page))

    return (lambda user_id: client.users.get(user_id=user_id)), list_pages


def sdk_impl(url: str, secret: str) -> Tuple[Callable[[str], Any], Callable[[int], Iterator[Any]]]:
    from clerk_backend_api import Clerk

    sdk = Clerk(bearer_auth=secret, server_url=f"{url}/v1")

    def list_pages(page: int) -> Iterator[Any]:
        offset = 0
        while True:  # ends at the first short page (bounded by the caller's TOTAL too)
            users = sdk.users.list(request={"limit": page, "offset": offset})
            yield users
            if len(users) < page:
                return
            offset += page

    return (lambda user_id: sdk.users.get(user_id=user_id)), list_pages


def main() -> None:
    impl, url, secret, mode, n_text, arg = sys.argv[1:7]
    get, list_pages = (libclerk_impl if impl == "libclerk" else sdk_impl)(url, secret)
    n = int(n_text)
    calls = items = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if mode == "get":
        for _ in range(n):
            get(arg)
        calls = items = n
    elif mode == "list":
        for page in list_pages(int(arg)):
            calls += 1
            items += len(page)
            if items >= n or not page:
                break
    else:
        raise SystemExit(f"unknown mode {mode}")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    line = {"bench": "api", "impl": impl, "mode": mode, "calls": calls, "items": items,
            "wall_s": wall, "cpu_s": cpu}
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
