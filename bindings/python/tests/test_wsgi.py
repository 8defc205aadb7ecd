"""The WSGI middleware, called directly and behind a real wsgiref server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any, Callable, Dict, Iterable, List
from wsgiref.simple_server import WSGIRequestHandler, make_server

import libclerk
from conftest import Emulator
from libclerk.wsgi import ENVIRON_KEY, ClerkMiddleware, request_headers


def _app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    state = environ[ENVIRON_KEY]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [
        json.dumps({"status": state["status"], "sub": state.get("claims", {}).get("sub")}).encode()
    ]


def test_headers_come_from_the_environ() -> None:
    environ = {
        "HTTP_AUTHORIZATION": "Bearer x",
        "HTTP_SEC_FETCH_DEST": "document",
        "CONTENT_TYPE": "text/plain",
        "PATH_INFO": "/",
    }
    assert request_headers(environ) == {
        "AUTHORIZATION": "Bearer x",
        "SEC-FETCH-DEST": "document",
        "CONTENT-TYPE": "text/plain",
    }


def test_the_middleware_puts_the_state_in_the_environ(
    emulator: Emulator, verifier: libclerk.Verifier
) -> None:
    seen: List[Dict[str, Any]] = []

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ.get("clerk.auth") or environ["auth"])
        start_response("204 No Content", [])
        return []

    middleware = ClerkMiddleware(app, verifier)
    token = emulator.mint({"sub": "user_wsgi"})
    middleware({"REQUEST_METHOD": "GET", "HTTP_AUTHORIZATION": f"Bearer {token}"}, lambda *a: None)
    middleware({"REQUEST_METHOD": "GET"}, lambda *a: None)
    assert seen[0]["status"] == "signed-in" and seen[0]["claims"]["sub"] == "user_wsgi"
    assert seen[1]["status"] == "signed-out"
    strict = ClerkMiddleware(
        app, verifier, authorized_parties=["https://other.example"], environ_key="auth"
    )
    environ: Dict[str, Any] = {"REQUEST_METHOD": "GET", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    strict(environ, lambda *a: None)
    assert environ["auth"]["reason"] == "token-invalid-authorized-parties"
    assert seen[2] is environ["auth"] and "clerk.auth" not in environ


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_behind_a_wsgi_server(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    server = make_server("127.0.0.1", 0, ClerkMiddleware(_app, verifier), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        token = emulator.mint({"sub": "user_served"})
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response) == {"status": "signed-in", "sub": "user_served"}
        with urllib.request.urlopen(url, timeout=10) as response:
            assert json.load(response)["status"] == "signed-out"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
