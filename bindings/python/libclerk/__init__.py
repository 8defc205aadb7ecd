"""libclerk: Clerk's Backend API and local session verification, over the libclerk C
library.

```python
import libclerk
with libclerk.Client() as client:                    # CLERK_SECRET_KEY, CLERK_API_URL
    user = client.users.create(email_address=["ada@example.com"])
    for u in client.users.list_all(limit=100): ...
verifier = libclerk.Verifier(jwt_key=pem)            # or Verifier(client=client)
claims = verifier.verify(token)
```

Every behaviour comes from the C library; this package translates types and errors.
"""

from __future__ import annotations

from . import _ffi
from ._client import OPERATIONS, Client, PageIterator, Resource
from ._errors import (
    ApiError,
    AuthenticationError,
    ClerkError,
    ClosedError,
    ConfigError,
    DeadlineExceededError,
    DecodeError,
    InternalError,
    InvalidArgumentError,
    InvalidParamsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    TransportError,
    UnknownOperationError,
    UnprocessableEntityError,
    VerificationError,
    WebhookError,
)
from ._types import (
    AuthenticateOptions,
    Check,
    Claims,
    CustomReverification,
    File,
    MachineToken,
    Organization,
    OrganizationSyncOptions,
    RawResponse,
    RequestState,
    ScopedNames,
    WebhookEvent,
)
from ._verify import Verifier, handshake_response, response_headers, verify_webhook

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthenticateOptions",
    "AuthenticationError",
    "Check",
    "Claims",
    "ClerkError",
    "Client",
    "ClosedError",
    "ConfigError",
    "CustomReverification",
    "DeadlineExceededError",
    "DecodeError",
    "File",
    "InternalError",
    "InvalidArgumentError",
    "InvalidParamsError",
    "MachineToken",
    "NotFoundError",
    "OPERATIONS",
    "Organization",
    "OrganizationSyncOptions",
    "PageIterator",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RequestState",
    "Resource",
    "ResponseTooLargeError",
    "ScopedNames",
    "TransportError",
    "UnknownOperationError",
    "UnprocessableEntityError",
    "Verifier",
    "VerificationError",
    "WebhookError",
    "WebhookEvent",
    "handshake_response",
    "library_version",
    "response_headers",
    "verify_webhook",
]


def library_version() -> str:
    """The version of the loaded C library (``clerk_version``)."""
    version: bytes = _ffi.version()
    return version.decode()
