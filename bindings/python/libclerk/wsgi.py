"""WSGI middleware: authenticates every request and puts the outcome in the environ."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Sequence

from ._verify import Verifier

__all__ = ["ClerkMiddleware", "ENVIRON_KEY"]

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


class ClerkMiddleware:
    """Wraps a WSGI app: each request is authenticated with
    :meth:`Verifier.authenticate_request` and the state (``{"status": "signed-in",
    "claims": {...}, ...}``, ``signed-out`` or ``handshake``) is stored in
    ``environ["clerk.auth"]`` before the app runs. The app decides what to do with it.

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
        environ_key: str = ENVIRON_KEY,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.publishable_key = publishable_key
        self.authorized_parties = authorized_parties
        self.accepts_token = accepts_token
        self.environ_key = environ_key

    def __call__(
        self, environ: Dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        environ[self.environ_key] = self.verifier.authenticate_request(
            environ.get("REQUEST_METHOD", "GET"),
            request_headers(environ),
            publishable_key=self.publishable_key,
            authorized_parties=self.authorized_parties,
            accepts_token=self.accepts_token,
        )
        return self.app(environ, start_response)
