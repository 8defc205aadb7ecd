"""WSGI middleware: authenticates every request and puts the outcome in the environ."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote

from ._types import AuthenticateOptions, Check
from ._verify import Verifier, handshake_response, response_headers

__all__ = ["ClerkMiddleware", "ENVIRON_KEY", "request_headers", "request_url"]

#: Where :class:`ClerkMiddleware` puts the request state.
ENVIRON_KEY = "clerk.auth"

WSGIApp = Callable[[Dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def request_headers(environ: Dict[str, Any]) -> Dict[str, str]:
    """The request headers of a WSGI environ (``HTTP_X_Y`` -> ``X-Y``)."""
    headers = {
        key[5:].replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and isinstance(value, str)
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-")] = environ[key]
    return headers


def request_url(environ: Dict[str, Any]) -> str:
    """The absolute URL of a WSGI request (PEP 3333's reconstruction); the C library
    applies ``x-forwarded-proto``/``-host`` over it."""
    scheme = environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME") or "localhost"
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != {"https": "443", "http": "80"}.get(scheme):
            host += ":" + port
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    query = environ.get("QUERY_STRING")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


class ClerkMiddleware:
    """Wraps a WSGI app: each request is authenticated with
    :meth:`Verifier.authenticate_request` (its URL, method and headers) and the state
    (``{"status": "signed-in", "claims": {...}, ...}``, ``signed-out`` or ``handshake``)
    is stored in ``environ["clerk.auth"]``. As ``@clerk/backend``'s framework adapters
    do, a state with a ``location`` (a handshake) is answered with a 307 redirect there
    carrying the state's headers, without calling the app; otherwise the app runs and
    the state's headers are added to its response. ``options`` and ``has`` are passed
    to :meth:`Verifier.authenticate_request`.

    Flask: ``app.wsgi_app = ClerkMiddleware(app.wsgi_app, verifier)``, then
    ``request.environ["clerk.auth"]``.
    """

    def __init__(
        self,
        app: WSGIApp,
        verifier: Verifier,
        *,
        publishable_key: Optional[str] = None,
        authorized_parties: Optional[Sequence[str]] = None,
        accepts_token: Optional[Sequence[str]] = None,
        options: Optional[AuthenticateOptions] = None,
        has: Optional[Sequence[Check]] = None,
        environ_key: str = ENVIRON_KEY,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.options: AuthenticateOptions = options.copy() if options else {}
        if publishable_key is not None:
            self.options["publishable_key"] = publishable_key
        if authorized_parties is not None:
            self.options["authorized_parties"] = authorized_parties
        if accepts_token is not None:
            self.options["accepts_token"] = accepts_token
        self.has = has
        self.environ_key = environ_key

    def __call__(
        self, environ: Dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        state = self.verifier.authenticate_request(
            environ.get("REQUEST_METHOD", "GET"),
            request_headers(environ),
            url=request_url(environ),
            options=self.options,
            has=self.has,
        )
        environ[self.environ_key] = state
        redirect = handshake_response(state)
        if redirect is not None:
            start_response("307 Temporary Redirect", redirect[1])
            return [b""]
        extra = response_headers(state)
        if not extra:
            return self.app(environ, start_response)

        def with_headers(status: str, headers: List[Tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, list(headers) + extra, *rest)

        return self.app(environ, with_headers)
