"""Request authentication: the URL and every option reach the core, the response headers
and ``has`` results come back, and the handshake answer is a 307 carrying them."""

from __future__ import annotations

import time
import threading
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, Iterable, List
from urllib.parse import parse_qs, urlparse
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import libclerk
from conftest import Emulator
from libclerk.wsgi import ClerkMiddleware, request_url


def _redirect_url(location: str) -> str:
    return parse_qs(urlparse(location).query)["redirect_url"][0]


def _instance_token(emulator: Emulator) -> str:
    """A session token issued by the emulator's Frontend API (the publishable key's), so
    the core reads the unsuffixed cookies, as @clerk/backend does."""
    return emulator.mint({"iss": emulator.api_url})


def _page_load(token: str) -> Dict[str, str]:
    return {
        "Accept": "text/html",
        "Sec-Fetch-Dest": "document",
        "Cookie": f"__session={token}; __clerk_db_jwt=dvb_test",
    }


def _org_token(emulator: Emulator, **extra: Any) -> str:
    claims: Dict[str, Any] = {
        "v": None,
        "org_id": "org_1",
        "org_slug": "acme",
        "org_role": "org:admin",
        "org_permissions": ["org:invoices:read"],
    }
    claims.update(extra)
    return emulator.mint(claims)


def test_handshake_state_has_the_location_and_headers(
    emulator: Emulator, verifier: libclerk.Verifier
) -> None:
    token = _instance_token(emulator)
    state = verifier.authenticate_request(
        "GET",
        _page_load(token),
        url="https://app.example.com/dashboard?x=1",
        publishable_key=emulator.publishable_key,
    )
    assert (state["status"], state["reason"]) == ("handshake", "session-token-but-no-client-uat")
    headers = state["headers"]
    location = headers["location"]
    assert isinstance(location, str) and "/v1/client/handshake?" in location
    assert _redirect_url(location) == "https://app.example.com/dashboard?x=1"
    assert headers["cache-control"] == "no-store"
    cookies = headers["set-cookie"]
    assert isinstance(cookies, list) and cookies[0].startswith("__clerk_redirect_count=1;")
    answer = libclerk.handshake_response(state)
    assert answer is not None and answer[0] == 307
    assert ("location", location) in answer[1] and ("set-cookie", cookies[0]) in answer[1]

    # Forwarded headers override the URL's origin (in the core); a relative proxy URL.
    forwarded = verifier.authenticate_request(
        "GET",
        {**_page_load(token), "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com"},
        url="http://internal:8080/page",
        options={"publishable_key": emulator.publishable_key, "proxy_url": "/__clerk"},
    )
    assert str(forwarded["headers"]["location"]).startswith(
        "https://app.example.com/__clerk/v1/client/handshake?"
    )

    # Signed in: no redirect; signed out: the x-clerk-auth headers.
    signed_in = verifier.authenticate_request("GET", {"Authorization": f"Bearer {token}"})
    assert signed_in["status"] == "signed-in" and libclerk.handshake_response(signed_in) is None
    signed_out = verifier.authenticate_request("GET", {})
    assert libclerk.handshake_response(signed_out) is None
    assert ("x-clerk-auth-status", "signed-out") in libclerk.response_headers(signed_out)


def test_the_core_refuses_unknown_options_and_refused_configurations(
    emulator: Emulator, verifier: libclerk.Verifier
) -> None:
    with pytest.raises(libclerk.InvalidArgumentError) as caught:
        typo: Any = {"publishable_kee": "pk"}  # mypy refuses the key; the core does too
        verifier.authenticate_request("GET", {}, options=typo)
    assert "publishable_kee" in str(caught.value)
    with pytest.raises(libclerk.ConfigError):
        verifier.authenticate_request(
            "GET", _page_load(emulator.mint()), url="https://a.example/", is_satellite=True
        )
    with pytest.raises(libclerk.ConfigError):
        verifier.authenticate_request(
            "GET", _page_load(emulator.mint()), publishable_key="pk_nonsense"
        )


def test_options_reach_the_core(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    now = int(time.time())
    expired = emulator.mint({"exp": now - 20, "iat": now - 80, "nbf": now - 80})
    bearer = {"Authorization": f"Bearer {expired}"}
    assert verifier.authenticate_request("GET", bearer)["status"] == "signed-out"
    lenient = verifier.authenticate_request("GET", bearer, clock_skew_ms=60_000)
    assert lenient["status"] == "signed-in"
    other = {"Authorization": f"Bearer {emulator.mint({'aud': 'aud-y'})}"}
    assert verifier.authenticate_request("GET", other, audience="aud-x")["status"] == "signed-out"
    assert (
        verifier.authenticate_request("GET", other, audience=["aud-x", "aud-y"])["status"]
        == "signed-in"
    )


def test_has_checks(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    token = _org_token(emulator, fva=[5, 20])
    checks: List[libclerk.Check] = [
        {"role": "org:admin"},
        {"role": "admin"},
        {"role": "org:member"},
        {"permission": "org:invoices:read"},
        {"permission": "org:invoices:write"},
        {"reverification": "strict"},
        {"reverification": "moderate"},
        {"reverification": {"level": "first_factor", "after_minutes": 10}},
    ]
    state = verifier.authenticate_request("GET", {"Authorization": f"Bearer {token}"}, has=checks)
    assert state["has"] == [True, True, False, True, False, False, True, True]
    pending = {"Authorization": f"Bearer {_org_token(emulator, sts='pending')}"}
    admin: List[libclerk.Check] = [{"role": "org:admin"}]
    assert verifier.authenticate_request("GET", pending, has=admin)["has"] == [False]
    allowed = verifier.authenticate_request(
        "GET", pending, has=admin, treat_pending_as_signed_out=False
    )
    assert allowed["has"] == [True]
    assert verifier.authenticate_request("GET", {}, has=admin)["has"] == [False]


def test_request_url_from_the_environ() -> None:
    environ = {
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "a.example",
        "PATH_INFO": "/x y",
        "QUERY_STRING": "q=1",
    }
    assert request_url(environ) == "https://a.example/x%20y?q=1"
    assert request_url({"SERVER_NAME": "srv", "SERVER_PORT": "8080"}) == "http://srv:8080/"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_wsgi_middleware_redirects_a_handshake(
    emulator: Emulator, verifier: libclerk.Verifier
) -> None:
    reached: List[str] = []

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        state = environ["clerk.auth"]
        reached.append(state["status"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [repr(state.get("has")).encode()]

    middleware = ClerkMiddleware(
        app,
        verifier,
        publishable_key=emulator.publishable_key,
        has=[{"role": "org:admin"}, {"permission": "org:invoices:write"}],
    )
    server = make_server("127.0.0.1", 0, middleware, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/dashboard?tab=1"
        opener = urllib.request.build_opener(_NoRedirect)
        request = urllib.request.Request(url, headers=_page_load(_instance_token(emulator)))
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(request, timeout=10)
        response = caught.value
        assert response.code == 307
        assert _redirect_url(response.headers["Location"]) == url
        assert response.headers["Cache-Control"] == "no-store"
        cookies = response.headers.get_all("Set-Cookie") or [""]
        assert cookies[0].startswith("__clerk_redirect_count=1;")
        assert reached == []

        signed_in = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {_org_token(emulator)}"}
        )
        with opener.open(signed_in, timeout=10) as ok:
            assert ok.status == 200 and ok.read() == b"[True, False]"
        with opener.open(url, timeout=10) as anonymous:
            assert anonymous.headers["X-Clerk-Auth-Status"] == "signed-out"
        assert reached == ["signed-in", "signed-out"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
