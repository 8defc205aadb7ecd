"""Helpers for your own tests: sign session tokens and webhook deliveries as Clerk would."""

from __future__ import annotations

from ctypes import byref, c_void_p
from typing import Any, Mapping, Optional, Union

from . import _ffi
from ._call import checked, dumps

__all__ = ["mint_session_token", "sign_webhook"]


def mint_session_token(
    private_key_pem: str,
    kid: str,
    claims: Optional[Mapping[str, Any]] = None,
    *,
    header: Optional[Mapping[str, Any]] = None,
) -> str:
    """An RS256 session token signed with ``private_key_pem`` (PKCS#8 or PKCS#1 RSA),
    its header carrying ``kid``.

    The claims default to a session issued now (``sub`` ``user_test``, ``sid``, ``sts``
    active, ``v`` 2, ``iat``/``nbf`` 10 s ago, ``exp`` in 60 s, ``iss``, ``azp``
    ``http://localhost:3000``), overlaid with ``claims`` (a None value removes a claim);
    ``header`` overlays the header (``alg`` RS256/RS384/RS512, ``typ``, ``kid``, ``cat``).
    """
    token = c_void_p()
    try:
        checked(
            _ffi.testing_mint_session_token,
            _ffi.c_string(private_key_pem, "private_key_pem"),
            _ffi.c_string(kid, "kid"),
            dumps(dict(claims)) if claims is not None else None,
            dumps(dict(header)) if header is not None else None,
            byref(token),
        )
    finally:
        text = _ffi.take_string(token)
    assert text is not None
    return text.decode()


def sign_webhook(secret: str, message_id: str, timestamp: int, body: Union[bytes, str]) -> str:
    """The ``svix-signature`` header value (``v1,<base64>``) Clerk would send for ``body``
    with this ``svix-id`` and ``svix-timestamp`` (Unix seconds)."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    signature = c_void_p()
    try:
        checked(
            _ffi.testing_sign_webhook,
            _ffi.c_string(secret, "secret"),
            _ffi.c_string(message_id, "message_id"),
            timestamp,
            raw,
            len(raw),
            byref(signature),
        )
    finally:
        text = _ffi.take_string(signature)
    assert text is not None
    return text.decode()
