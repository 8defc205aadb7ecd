"""Calling a libclerk function that reports through ``json_out``."""

from __future__ import annotations

import json
from ctypes import byref, c_void_p
from typing import Any, Optional, Tuple

from . import _ffi
from ._errors import error_from_json


def invoke(function: Any, *args: Any) -> Tuple[int, Optional[bytes]]:
    """Calls ``function(*args, &json_out)``: its result code and ``json_out``'s bytes,
    the string freed whatever happens."""
    out = c_void_p()
    try:
        code: int = function(*args, byref(out))
    finally:
        text = _ffi.take_string(out)
    return code, text


def checked(function: Any, *args: Any) -> Optional[bytes]:
    """:func:`invoke`, raising the error ``json_out`` describes unless the call succeeded."""
    code, text = invoke(function, *args)
    if code != _ffi.OK:
        raise error_from_json(text, code)
    return text


def checked_json(function: Any, *args: Any) -> Any:
    """:func:`checked`, with ``json_out`` parsed (None when it was NULL)."""
    text = checked(function, *args)
    return None if text is None else json.loads(text)


def dumps(value: Any) -> bytes:
    """JSON text for libclerk (UTF-8; NaN and infinities refused, as JSON has none)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
