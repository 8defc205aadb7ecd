"""The Backend API client: every operation by name, by attribute, paged, or raw.

The attribute style (``client.users.create(...)``) is built at import from the C
library's operation table (``clerk_operations_json``); no operation is written by hand.
The typed view of the same attributes is the generated stub ``api.pyi``.
"""

from __future__ import annotations

import base64
from ctypes import byref, c_uint16, c_void_p
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Type

from . import _ffi
from ._call import checked, checked_json, dumps, invoke
from ._errors import decode_json, error_from_json
from ._handle import Handle, HandleOwner
from ._types import File, RawResponse

if TYPE_CHECKING:
    from .api import Resources as _ResourcesBase
else:
    _ResourcesBase = object


def _load_operations() -> List[Dict[str, Any]]:
    operations = checked_json(_ffi.operations_json)
    assert isinstance(operations, list)
    return operations


#: The operation table: one dict per operation (``operation_id``, ``name``, ``method``,
#: ``path``, ``params``, ``body``, ``pagination``, ``deprecated``, ``summary``).
OPERATIONS: List[Dict[str, Any]] = _load_operations()
_BY_NAME: Dict[str, Dict[str, Any]] = {}
for _operation in OPERATIONS:
    _BY_NAME[_operation["name"]] = _operation
    _BY_NAME[_operation["operation_id"]] = _operation


def _aliases(operation: Dict[str, Any]) -> Dict[str, str]:
    """Python spellings of the flat params' ``$`` keys: ``body`` for ``$body`` (a whole
    body) and ``extra_body`` for ``$extra_body`` (extra fields of an object body)."""
    names = {param["name"] for param in operation["params"]}
    kind = operation["body"]["kind"]
    aliases = {}
    if kind == "whole" and "body" not in names:
        aliases["body"] = "$body"
    if kind == "object" and "extra_body" not in names:
        aliases["extra_body"] = "$extra_body"
    return aliases


_ALIASES: Dict[str, Dict[str, str]] = {
    key: _aliases(operation) for key, operation in _BY_NAME.items()
}


def _flat_params(
    name: str, params: Optional[Mapping[str, Any]], kwargs: Mapping[str, Any]
) -> Dict[str, Any]:
    flat = dict(params) if params else {}
    aliases = _ALIASES.get(name, {})
    for key, value in kwargs.items():
        flat[aliases.get(key, key)] = value
    return flat


def _file_json(file: File) -> Dict[str, Any]:
    return {
        "filename": file.filename,
        "content_base64": base64.b64encode(file.content).decode(),
        "content_type": file.content_type,
    }


class PageIterator(Iterator[Any]):
    """The pages of a list operation, fetched one per ``next()``; each page is the
    operation's own body (``{"data": [...], "total_count": n}`` or a list).

    Closes its pager when exhausted, on an error, on :meth:`close`, at the end of a
    ``with`` block, or when collected.
    """

    def __init__(self, pager: Handle, options: Optional[bytes] = None) -> None:
        self._pager = pager
        self._options = options
        self._done = False

    def __iter__(self) -> PageIterator:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        pointer = self._pager.enter()
        try:
            code, text = invoke(_ffi.pager_next_with_options, pointer, self._options)
        finally:
            self._pager.leave()
        if code == _ffi.OK:
            return decode_json(text) if text is not None else None
        # The last page was served, or the paging failed (which ends it too).
        self._done = True
        self.close()
        if code == _ffi.DONE:
            raise StopIteration
        raise error_from_json(text, code)

    def close(self) -> None:
        """Frees the pager; later ``next()`` calls raise :class:`ClosedError`."""
        self._pager.close()

    def __enter__(self) -> PageIterator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        pager = getattr(self, "_pager", None)
        if pager is not None:
            pager.close()


def _items(pages: PageIterator, pagination: str) -> Iterator[Any]:
    with pages:
        for page in pages:
            yield from page["data"] if pagination == "data_total_count" else page


class Client(HandleOwner, _ResourcesBase):
    """A Backend API client (connection pool, secret key, settings) over ``clerk_client``.

    ``Client()`` reads ``CLERK_SECRET_KEY``, ``CLERK_API_URL`` and ``CLERK_API_VERSION``.
    Keyword arguments set the client's options; without a ``secret_key`` the environment
    is still read and the arguments apply on top (``from_env`` says so explicitly).
    Timeouts are in seconds. ``retry`` is a dict with ``max_attempts``,
    ``initial_backoff_ms``, ``max_backoff_ms`` and ``max_elapsed_ms``. ``headers`` are
    sent with every request (the client's own, such as ``Authorization``, are refused).

    One client is safe to share across threads (and should be: it pools connections).
    Close it with :meth:`close` or a ``with`` block; verifiers and pagers made from it
    keep working after it is closed.
    """

    def __init__(
        self,
        secret_key: Optional[str] = None,
        *,
        api_url: Optional[str] = None,
        api_version: Optional[str] = None,
        user_agent: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_response_bytes: Optional[int] = None,
        retry: Optional[Mapping[str, int]] = None,
        root_certificates: Optional[str] = None,
        root_certificates_pem: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_from_env: Optional[bool] = None,
        from_env: Optional[bool] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        options: Dict[str, Any] = {
            "secret_key": secret_key,
            "api_url": api_url,
            "api_version": api_version,
            "user_agent": user_agent,
            "timeout_request_ms": _millis(timeout),
            "timeout_connect_ms": _millis(connect_timeout),
            "max_response_bytes": max_response_bytes,
            "retry": dict(retry) if retry is not None else None,
            "root_certificates": root_certificates,
            "root_certificates_pem": root_certificates_pem,
            "proxy": proxy,
            "proxy_from_env": proxy_from_env,
            "headers": dict(headers) if headers is not None else None,
        }
        config = {key: value for key, value in options.items() if value is not None}
        config_json: Optional[bytes] = None
        if config or from_env is not None:
            config["from_env"] = secret_key is None if from_env is None else from_env
            config_json = dumps(config)
        out = c_void_p()
        checked(_ffi.client_new, config_json, byref(out))
        assert out.value is not None
        self._handle = Handle(out.value, _ffi.client_free, "client")

    # -- calls ----------------------------------------------------------------------

    def call(
        self,
        operation: str,
        params: Optional[Mapping[str, Any]] = None,
        /,
        *,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> Any:
        """Calls one operation by ``resource.method`` name (``"users.list"``) or
        operationId (``"GetUserList"``) with its flat params (path, query and body fields
        by their spec names; ``body=`` / ``extra_body=`` or ``"$body"`` /
        ``"$extra_body"``), given as a dict, as keyword arguments, or both. Returns the
        response JSON (None for an empty body).

        ``timeout`` (seconds) bounds this call, retries included, below the client's
        own budget; running out raises :class:`DeadlineExceededError`."""
        return self._call(operation, _flat_params(operation, params, kwargs), timeout)

    def pages(
        self,
        operation: str,
        params: Optional[Mapping[str, Any]] = None,
        /,
        *,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> PageIterator:
        """The pages of a list operation, lazily (``limit`` is the page size, ``offset``
        the start); each page is the operation's own body. ``timeout`` bounds each page
        fetch."""
        flat = _flat_params(operation, params, kwargs)
        pointer = self._handle.enter()
        try:
            out = c_void_p()
            checked(
                _ffi.pager_new,
                pointer,
                _ffi.c_string(operation, "operation"),
                dumps(flat),
                byref(out),
            )
        finally:
            self._handle.leave()
        assert out.value is not None
        return PageIterator(Handle(out.value, _ffi.pager_free, "pager"), _options(timeout))

    def items(
        self,
        operation: str,
        params: Optional[Mapping[str, Any]] = None,
        /,
        *,
        timeout: Optional[float] = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Every item of a list operation, page after page, one page in memory;
        ``timeout`` bounds each page fetch."""
        pages = self.pages(operation, params, timeout=timeout, **kwargs)
        return _items(pages, _BY_NAME[operation]["pagination"])

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        timeout: Optional[float] = None,
    ) -> RawResponse:
        """Sends a raw request, the escape hatch for endpoints the operation table lacks:
        ``path`` is below ``{api_url}/v1`` (``"/users"``), ``query`` values are strings,
        numbers, booleans or lists of them, ``body`` any JSON value (None: no body);
        ``timeout`` as for :meth:`call`."""
        status = c_uint16()
        pointer = self._handle.enter()
        try:
            text = checked(
                _ffi.client_request_with_options,
                pointer,
                _ffi.c_string(method, "method"),
                _ffi.c_string(path, "path"),
                dumps(dict(query)) if query is not None else None,
                dumps(body) if body is not None else None,
                byref(status),
                _options(timeout),
            )
        finally:
            self._handle.leave()
        return RawResponse(status.value, decode_json(text) if text is not None else None)

    def _call(self, operation: str, flat: Dict[str, Any], timeout: Optional[float]) -> Any:
        for key, value in flat.items():
            if isinstance(value, File):
                flat[key] = _file_json(value)
        name = _ffi.c_string(operation, "operation")
        pointer = self._handle.enter()
        try:
            text = checked(
                _ffi.client_call_with_options, pointer, name, dumps(flat), _options(timeout)
            )
        finally:
            self._handle.leave()
        return decode_json(text) if text is not None else None


def _millis(seconds: Optional[float]) -> Optional[int]:
    return None if seconds is None else int(round(seconds * 1000))


def _options(timeout: Optional[float]) -> Optional[bytes]:
    """The ``options_json`` of one call: NULL for none, else ``{"timeout_ms": N}`` (the C
    library checks the range)."""
    return None if timeout is None else dumps({"timeout_ms": _millis(timeout)})


# -- the attribute style, from the operation table ------------------------------------


class Resource:
    """The operations of one resource (``client.users``), bound to a client."""

    __slots__ = ("_client",)

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<libclerk {type(self).__name__}>"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _describe(operation: Dict[str, Any]) -> str:
    return (
        f"{operation['summary']}\n\n``{operation['method']} {operation['path']}`` "
        f"(``{operation['operation_id']}``, ``client.call({operation['name']!r}, ...)``)."
    )


def _call_method(operation: Dict[str, Any], method_name: str) -> Any:
    name = operation["name"]

    def method(self: Resource, *, timeout: Optional[float] = None, **params: Any) -> Any:
        return self._client._call(name, _flat_params(name, None, params), timeout)

    method.__name__ = method.__qualname__ = method_name
    method.__doc__ = _describe(operation)
    return method


def _items_method(operation: Dict[str, Any], method_name: str) -> Any:
    name = operation["name"]

    def method(self: Resource, *, timeout: Optional[float] = None, **params: Any) -> Iterator[Any]:
        return self._client.items(name, timeout=timeout, **params)

    method.__name__ = method.__qualname__ = method_name
    method.__doc__ = f"Every item of ``{name}``, fetched page after page lazily.\n\n" + _describe(
        operation
    )
    return method


def iterator_method_name(method: str, resource_methods: Any) -> str:
    """The name of the auto-paging twin of a list method: ``<method>_all``, or
    ``<method>_iter`` when that reads badly or is taken (the stub generator's rule)."""
    name = f"{method}_all"
    if method.endswith("_all") or name in resource_methods:
        name = f"{method}_iter"
    return name


def _resource_classes() -> Dict[str, Type[Resource]]:
    grouped: Dict[str, List[Dict[str, Any]]] = {}
    for operation in OPERATIONS:
        resource = operation["name"].split(".", 1)[0]
        grouped.setdefault(resource, []).append(operation)
    classes: Dict[str, Type[Resource]] = {}
    for resource, operations in grouped.items():
        spec_methods = {operation["name"].split(".", 1)[1] for operation in operations}
        namespace: Dict[str, Any] = {
            "__slots__": (),
            "__doc__": f"The ``{resource}.*`` operations.",
        }
        for operation in operations:
            method = operation["name"].split(".", 1)[1]
            namespace[method] = _call_method(operation, method)
            if operation["pagination"] != "none":
                all_name = iterator_method_name(method, spec_methods)
                namespace[all_name] = _items_method(operation, all_name)
        classes[resource] = type(f"{_pascal(resource)}Resource", (Resource,), namespace)
    return classes


class _ResourceAttribute:
    """``client.<resource>``: the resource's operations bound to that client."""

    def __init__(self, cls: Type[Resource]) -> None:
        self._cls = cls

    def __get__(self, client: Optional[Client], owner: Optional[type] = None) -> Any:
        if client is None:
            return self._cls
        return self._cls(client)


RESOURCES: Dict[str, Type[Resource]] = _resource_classes()
for _name, _cls in RESOURCES.items():
    if _name in vars(Client):
        raise ImportError(f"libclerk: resource {_name!r} collides with a Client attribute")
    setattr(Client, _name, _ResourceAttribute(_cls))
