"""Session and machine token verification, request authentication and webhooks."""

from __future__ import annotations

import json
from ctypes import byref, c_void_p, string_at
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)

from . import _ffi
from ._call import checked, checked_json, dumps
from ._client import Client, _millis
from ._errors import InvalidArgumentError, error_from_json
from ._handle import Handle, HandleOwner
from ._types import AuthenticateOptions, Check, Claims, MachineToken, RequestState, WebhookEvent

if TYPE_CHECKING:
    # Only for type checkers (Python 3.9 has no typing.Unpack): mypy reads the
    # keyword arguments as AuthenticateOptions' keys.
    from typing_extensions import Unpack

HeaderInput = Union[Mapping[str, str], Iterable[Tuple[str, str]]]

_verify = _ffi.verifier_verify
_string_at = string_at
_string_free = _ffi.string_free
_loads = json.loads


class Verifier(HandleOwner):
    """Verifies Clerk session tokens locally, over ``clerk_verifier``.

    With ``jwt_key`` (the instance's PEM public key) no network is ever used; with
    ``client`` the keys come from the instance's JWKS, fetched once and cached.
    ``Verifier()`` alone reads ``CLERK_JWT_KEY``, else ``CLERK_SECRET_KEY`` and
    ``CLERK_API_URL``. Durations are in seconds.

    One verifier is safe to share across threads; the C library releases the GIL while
    it verifies, so verification scales with threads.
    """

    def __init__(
        self,
        jwt_key: Optional[str] = None,
        *,
        client: Optional[Client] = None,
        authorized_parties: Optional[Sequence[str]] = None,
        audience: Optional[Sequence[str]] = None,
        issuer: Optional[Sequence[str]] = None,
        clock_skew: Optional[float] = None,
        jwks_ttl: Optional[float] = None,
        kid_refetch_interval: Optional[float] = None,
        max_stale: Optional[float] = None,
    ) -> None:
        options: Dict[str, Any] = {
            "jwt_key": jwt_key,
            "authorized_parties": _list(authorized_parties),
            "audience": _list(audience),
            "issuer": _list(issuer),
            "clock_skew_ms": _millis(clock_skew),
            "jwks_ttl_ms": _millis(jwks_ttl),
            "kid_refetch_interval_ms": _millis(kid_refetch_interval),
            "max_stale_ms": _millis(max_stale),
        }
        config = {key: value for key, value in options.items() if value is not None}
        out = c_void_p()
        config_json = dumps(config) if config else None
        if client is None:
            checked(_ffi.verifier_new, config_json, None, byref(out))
        else:
            pointer = client._handle.enter()
            try:
                checked(_ffi.verifier_new, config_json, pointer, byref(out))
            finally:
                client._handle.leave()
        assert out.value is not None
        self._handle = Handle(out.value, _ffi.verifier_free, "verifier")

    def verify(self, token: str) -> Claims:
        """The claims of a valid session token (the ``__session`` cookie or the bearer
        value); raises :class:`VerificationError` with the ``reason`` otherwise."""
        encoded = token.encode()
        if b"\0" in encoded:
            raise InvalidArgumentError("`token` contains a NUL character", "invalid_argument")
        handle = self._handle
        pointer = handle.enter()
        out = c_void_p()
        try:
            code = _verify(pointer, encoded, byref(out))
        finally:
            handle.leave()
            address = out.value
            text = None
            if address is not None:
                try:
                    text = _string_at(address)
                finally:
                    _string_free(address)
        if code or text is None:
            raise error_from_json(text, code)
        return cast(Claims, _loads(text))

    def verify_machine_token(self, token: str) -> MachineToken:
        """Verifies an API key (``ak_``), M2M token (``mt_``) or OAuth access token
        (``oat_``) through the Backend API, or a JWT machine token locally."""
        pointer = self._handle.enter()
        try:
            result = checked_json(
                _ffi.verifier_verify_machine_token, pointer, _ffi.c_string(token, "token")
            )
        finally:
            self._handle.leave()
        return cast(MachineToken, result)

    def authenticate_request(
        self,
        method: str,
        headers: HeaderInput,
        *,
        url: Optional[str] = None,
        options: Optional[AuthenticateOptions] = None,
        has: Optional[Sequence[Check]] = None,
        treat_pending_as_signed_out: Optional[bool] = None,
        **more_options: Unpack[AuthenticateOptions],
    ) -> RequestState:
        """Authenticates an incoming request, as ``@clerk/backend``'s
        ``authenticateRequest``, from its method, absolute ``url`` (needed for handshake
        redirects; ``x-forwarded-proto``/``-host`` and ``host`` override its origin) and
        headers (``Authorization`` and ``Cookie``, names in any case).

        The options (``publishable_key``, ``secret_key``, ``domain``, ``is_satellite``,
        ``proxy_url``, ``accepts_token``, ``organization_sync_options``, ...: see
        :class:`AuthenticateOptions`) come as ``options`` and/or keyword arguments and go
        to the C library as they are; it refuses unknown ones
        (:class:`InvalidArgumentError`) and configurations the reference refuses
        (:class:`ConfigError`). ``has`` lists :class:`Check` s evaluated on the result (a
        pending session fails them unless ``treat_pending_as_signed_out=False``).

        Returns ``{"status": "signed-in" | "signed-out" | "handshake", ..., "headers":
        {...}, "has": [...]}``; on a handshake, answer with :func:`handshake_response`.
        """
        given: Dict[str, Any] = dict(options or {})
        given.update(more_options)
        request: Dict[str, Any] = {
            "method": method,
            "headers": dict(headers.items() if isinstance(headers, Mapping) else headers),
        }
        if url is not None:
            request["url"] = url
        if given:
            request["options"] = given
        if has is not None:
            request["has"] = list(has)
        if treat_pending_as_signed_out is not None:
            request["treat_pending_as_signed_out"] = treat_pending_as_signed_out
        pointer = self._handle.enter()
        try:
            result = checked_json(_ffi.authenticate_request, pointer, dumps(request))
        finally:
            self._handle.leave()
        return cast(RequestState, result)


def response_headers(state: RequestState) -> List[Tuple[str, str]]:
    """The headers a request state asks the response to carry, as (name, value) pairs
    (one ``set-cookie`` pair per cookie)."""
    pairs: List[Tuple[str, str]] = []
    for name, value in state.get("headers", {}).items():
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            pairs.extend((name, item) for item in value)
    return pairs


def handshake_response(state: RequestState) -> Optional[Tuple[int, List[Tuple[str, str]]]]:
    """``(307, headers)`` when the state asks for a redirect (a ``location`` header: the
    handshake, a satellite sync), as ``@clerk/backend``'s framework adapters answer;
    None when the app should handle the request."""
    if "location" not in state.get("headers", {}):
        return None
    return 307, response_headers(state)


def verify_webhook(secret: str, headers: HeaderInput, body: Union[bytes, str]) -> WebhookEvent:
    """Verifies a webhook delivery (Svix signature): ``secret`` is the endpoint's
    ``whsec_...`` secret, ``headers`` the request headers (``svix-id``,
    ``svix-timestamp``, ``svix-signature``; others are ignored), ``body`` the raw body
    exactly as received. Returns the event; raises :class:`WebhookError` otherwise."""
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    raw = body.encode() if isinstance(body, str) else bytes(body)
    result = checked_json(
        _ffi.webhook_verify,
        _ffi.c_string(secret, "secret"),
        dumps([[name, value] for name, value in pairs]),
        raw,
        len(raw),
    )
    return cast(WebhookEvent, result)


def _list(values: Optional[Sequence[str]]) -> Any:
    """A sequence as a JSON array; a lone string is passed as it is, for the C library
    to refuse (``list("abc")`` would silently be three one-letter entries)."""
    if values is None or isinstance(values, str):
        return values
    return list(values)
