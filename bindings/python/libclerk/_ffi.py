"""Loads libclerk and declares the signature of every symbol it exports.

Every function gets explicit ``argtypes`` and ``restype`` (never ctypes' ``int`` default).
Strings the library returns arrive as ``c_void_p`` so the exact pointer can be handed back
to ``clerk_string_free``; :func:`take_string` reads and frees one in a ``finally``.
``ctypes.CDLL`` releases the GIL for the duration of each call (``clerk_string_free``
goes through ``PyDLL`` and keeps it).
"""

from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_int64, c_size_t, c_uint16, c_uint32, c_void_p
from pathlib import Path
from typing import Any

from ._errors import InvalidArgumentError
from ._location import library_name, platform_dir

#: ``clerk_result`` codes the wrapper branches on (include/clerk.h).
OK = 0
DONE = 1

_out = POINTER(c_void_p)


def library_path() -> str:
    """The library to load: ``$LIBCLERK_PATH`` when set, else the one inside the package."""
    override = os.environ.get("LIBCLERK_PATH")
    if override:
        return override
    return str(Path(__file__).resolve().parent / platform_dir() / library_name())


def _load(path: str) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(
            f"libclerk: cannot load the C library at {path} ({error}); reinstall the "
            "package for this platform or point LIBCLERK_PATH at a libclerk build"
        ) from error


_path = library_path()
lib = _load(_path)
#: The same library through ``PyDLL``, whose calls keep the GIL: for ``clerk_string_free``,
#: which only frees memory, so a verification does not hand the GIL over an extra time.
gil_lib = ctypes.PyDLL(_path)


def _declare(name: str, restype: Any, *argtypes: Any, library: ctypes.CDLL = lib) -> Any:
    function = getattr(library, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


_declare("clerk_string_free", None, c_void_p)
string_free = _declare("clerk_string_free", None, c_void_p, library=gil_lib)
version = _declare("clerk_version", c_char_p)
result_name = _declare("clerk_result_name", c_char_p, c_uint32)

client_new = _declare("clerk_client_new", c_uint32, c_char_p, _out, _out)
client_free = _declare("clerk_client_free", None, c_void_p)
client_call = _declare("clerk_client_call", c_uint32, c_void_p, c_char_p, c_char_p, _out)
client_call_with_options = _declare(
    "clerk_client_call_with_options",
    c_uint32,
    c_void_p,  # client
    c_char_p,  # operation
    c_char_p,  # params_json
    c_char_p,  # options_json
    _out,
)
client_call_multipart = _declare(
    "clerk_client_call_multipart",
    c_uint32,
    c_void_p,  # client
    c_char_p,  # name
    c_char_p,  # params_json
    c_char_p,  # file_field
    c_char_p,  # filename
    c_char_p,  # content_type
    c_char_p,  # bytes_ptr (Python bytes, passed without a copy)
    c_size_t,  # bytes_len
    _out,
)
client_request = _declare(
    "clerk_client_request",
    c_uint32,
    c_void_p,  # client
    c_char_p,  # method
    c_char_p,  # path
    c_char_p,  # query_json
    c_char_p,  # body_json
    POINTER(c_uint16),  # status_out
    _out,
)
client_request_with_options = _declare(
    "clerk_client_request_with_options",
    c_uint32,
    c_void_p,  # client
    c_char_p,  # method
    c_char_p,  # path
    c_char_p,  # query_json
    c_char_p,  # body_json
    POINTER(c_uint16),  # status_out
    c_char_p,  # options_json
    _out,
)
operations_json = _declare("clerk_operations_json", c_uint32, _out)

pager_new = _declare("clerk_pager_new", c_uint32, c_void_p, c_char_p, c_char_p, _out, _out)
pager_next = _declare("clerk_pager_next", c_uint32, c_void_p, _out)
pager_next_with_options = _declare(
    "clerk_pager_next_with_options", c_uint32, c_void_p, c_char_p, _out
)
pager_free = _declare("clerk_pager_free", None, c_void_p)

verifier_new = _declare("clerk_verifier_new", c_uint32, c_char_p, c_void_p, _out, _out)
verifier_free = _declare("clerk_verifier_free", None, c_void_p)
verifier_verify = _declare("clerk_verifier_verify", c_uint32, c_void_p, c_char_p, _out)
verifier_verify_machine_token = _declare(
    "clerk_verifier_verify_machine_token", c_uint32, c_void_p, c_char_p, _out
)
authenticate_request = _declare("clerk_authenticate_request", c_uint32, c_void_p, c_char_p, _out)

webhook_verify = _declare(
    "clerk_webhook_verify", c_uint32, c_char_p, c_char_p, c_char_p, c_size_t, _out
)
testing_sign_webhook = _declare(
    "clerk_testing_sign_webhook",
    c_uint32,
    c_char_p,  # secret
    c_char_p,  # message_id
    c_int64,  # timestamp
    c_char_p,  # body_ptr
    c_size_t,  # body_len
    _out,  # signature_out
    _out,  # json_out
)
testing_mint_session_token = _declare(
    "clerk_testing_mint_session_token",
    c_uint32,
    c_char_p,  # private_key_pem
    c_char_p,  # kid
    c_char_p,  # claims_json
    c_char_p,  # header_json
    _out,  # token_out
    _out,  # json_out
)


def take_string(pointer: c_void_p) -> bytes | None:
    """The bytes of a string libclerk returned (None for NULL), freed whatever happens."""
    address = pointer.value
    if address is None:
        return None
    try:
        return ctypes.string_at(address)
    finally:
        string_free(address)


def c_string(text: str | None, argument: str) -> bytes | None:
    """A Python string as the NUL-terminated UTF-8 libclerk reads (None stays NULL).

    A string holding a NUL character cannot cross as a C string (it would be cut short),
    so it is refused.
    """
    if text is None:
        return None
    encoded = text.encode()
    if b"\0" in encoded:
        raise InvalidArgumentError(f"`{argument}` contains a NUL character", "invalid_argument")
    return encoded
