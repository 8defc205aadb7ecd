"""Exceptions, one class per ``kind`` of the C library's error JSON.

The C library reports every failure as ``{"kind", "message", "status"?, "reason"?,
"errors"?, "clerk_trace_id"?, "retry_after_ms"?}``; :func:`error_from_json` picks the class
from ``kind`` (and, for API errors, ``status``) and copies the fields. Nothing is decided
here: a kind this version does not know becomes a plain :class:`ClerkError`.
"""

from __future__ import annotations

import builtins
import json
from typing import Any, Dict, List, Optional, Type


class ClerkError(Exception):
    """Base class of every libclerk error.

    ``kind`` is the C library's error kind (``"api"``, ``"timeout"``, ...), ``message`` its
    message, ``data`` the whole error object and ``result`` the ``clerk_result`` code (or
    None for errors raised by the wrapper itself).
    """

    kind: str
    message: str
    data: Dict[str, Any]
    result: Optional[int]

    def __init__(
        self,
        message: str,
        kind: str = "unexpected",
        data: Optional[Dict[str, Any]] = None,
        result: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.data = data if data is not None else {"kind": kind, "message": message}
        self.result = result

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        # Rebuilt from the error object, so a pickled error keeps its class and fields.
        return (_rebuild, (self.data, self.result))


class ApiError(ClerkError):
    """The Backend API answered with a non-2xx status.

    ``errors`` is Clerk's error list (dicts with ``code``, ``message``, ``long_message``,
    ``meta``), ``clerk_trace_id`` the trace id and ``retry_after`` the ``Retry-After``
    delay in seconds, when given.
    """

    status: int = 0
    errors: List[Dict[str, Any]]
    clerk_trace_id: Optional[str] = None
    retry_after: Optional[float] = None

    def __init__(
        self,
        message: str,
        kind: str = "api",
        data: Optional[Dict[str, Any]] = None,
        result: Optional[int] = None,
    ) -> None:
        super().__init__(message, kind, data, result)
        self.errors = []

    @property
    def code(self) -> Optional[str]:
        """The first Clerk error's ``code`` (e.g. ``"resource_not_found"``), if any."""
        if self.errors:
            code = self.errors[0].get("code")
            return code if isinstance(code, str) else None
        return None


class AuthenticationError(ApiError):
    """401: the secret key is missing, wrong or revoked."""


class PermissionDeniedError(ApiError):
    """403: the key may not do this."""


class NotFoundError(ApiError):
    """404: no such resource."""


class UnprocessableEntityError(ApiError):
    """422: the request was understood but refused (``form_identifier_exists``, ...)."""


class RateLimitError(ApiError):
    """429: too many requests; ``retry_after`` says how long to wait."""


class VerificationError(ClerkError):
    """A session or machine token was refused; ``reason`` is the reference's code
    (``token-expired``, ``token-invalid-signature``, ``jwk-kid-mismatch``, ...)."""

    reason: str = ""


class WebhookError(ClerkError):
    """A webhook delivery did not verify; ``reason`` is ``no-matching-signature``,
    ``timestamp-too-old``, ``missing-headers``, ..."""

    reason: str = ""


class ConfigError(ClerkError):
    """The configuration is invalid (missing secret key, bad URL, unreadable key...)."""


class InvalidParamsError(ClerkError, ValueError):
    """The parameters do not fit the operation (unknown key, wrong type, missing one)."""


class UnknownOperationError(ClerkError, LookupError):
    """No operation has this operationId or ``resource.method`` name."""


class InvalidArgumentError(ClerkError, ValueError):
    """An argument the C library could not take (invalid JSON or UTF-8, a NUL byte)."""


class TransportError(ClerkError, ConnectionError):
    """The request did not complete (DNS, connect, TLS or I/O failure)."""


class DeadlineExceededError(ClerkError, builtins.TimeoutError):
    """A connect or request deadline passed (also a built-in ``TimeoutError``)."""


class DecodeError(ClerkError, ValueError):
    """The response could not be decoded (by the C library, or as JSON by this package)."""


class ResponseTooLargeError(ClerkError):
    """The response body was larger than ``max_response_bytes``."""


class InternalError(ClerkError):
    """A bug inside libclerk (a Rust panic caught at the boundary); please report it."""


class ClosedError(ClerkError, ValueError):
    """The client, verifier or pager was used after ``close()``."""


#: The class for each ``kind`` the C library emits (clerk-core ``Error::kind`` and the
#: FFI's own kinds). A kind missing here maps to :class:`ClerkError`.
KINDS: Dict[str, Type[ClerkError]] = {
    "api": ApiError,
    "transport": TransportError,
    "timeout": DeadlineExceededError,
    "decode": DecodeError,
    "response_too_large": ResponseTooLargeError,
    "invalid_params": InvalidParamsError,
    "unknown_operation": UnknownOperationError,
    "config": ConfigError,
    "verification": VerificationError,
    "webhook": WebhookError,
    "null_parameter": InvalidArgumentError,
    "invalid_utf8": InvalidArgumentError,
    "invalid_json": InvalidArgumentError,
    "panic": InternalError,
    "unexpected": ClerkError,
}

#: Kinds of the errors this package raises itself (for :func:`error_from_json` when an
#: error is rebuilt, e.g. after pickling).
WRAPPER_KINDS: Dict[str, Type[ClerkError]] = {
    "closed": ClosedError,
    "invalid_argument": InvalidArgumentError,
}

#: API error subclasses by HTTP status; other statuses are plain :class:`ApiError`.
STATUSES: Dict[int, Type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_json(text: Optional[bytes], result: int) -> ClerkError:
    """The exception for an error object from libclerk (``result`` is the return code)."""
    data: Dict[str, Any]
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        data = parsed
    else:
        raw = text.decode(errors="replace") if text else ""
        data = {"kind": "unexpected", "message": raw or f"libclerk returned code {result}"}
    kind = data.get("kind")
    kind = kind if isinstance(kind, str) else "unexpected"
    message = data.get("message")
    message = message if isinstance(message, str) else kind
    cls = KINDS.get(kind) or WRAPPER_KINDS.get(kind, ClerkError)
    status = data.get("status")
    if cls is ApiError and isinstance(status, int):
        cls = STATUSES.get(status, ApiError)
    error = cls(message, kind, data, result)
    if isinstance(error, ApiError):
        error.status = status if isinstance(status, int) else 0
        errors = data.get("errors")
        error.errors = errors if isinstance(errors, list) else []
        trace = data.get("clerk_trace_id")
        error.clerk_trace_id = trace if isinstance(trace, str) else None
        wait = data.get("retry_after_ms")
        error.retry_after = wait / 1000 if isinstance(wait, (int, float)) else None
    if isinstance(error, (VerificationError, WebhookError)):
        reason = data.get("reason")
        error.reason = reason if isinstance(reason, str) else ""
    return error


def _rebuild(data: Dict[str, Any], result: Optional[int]) -> ClerkError:
    return error_from_json(json.dumps(data).encode(), result if result is not None else 0)


def decode_json(text: bytes) -> Any:
    """A response body parsed as JSON; a body that is no JSON is a :class:`DecodeError`
    (the C library hands the body over as the server sent it)."""
    try:
        return json.loads(text)
    except ValueError as error:
        excerpt = text[:200].decode(errors="replace")
        raise DecodeError(f"cannot decode response: {error}; body: {excerpt}", "decode") from error


for _cls in list(KINDS.values()) + list(WRAPPER_KINDS.values()) + list(STATUSES.values()):
    _cls.__module__ = "libclerk"
