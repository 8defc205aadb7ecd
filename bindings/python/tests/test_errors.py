"""Errors: every kind the C library emits maps to its class, with its fields; the real
failures behind them (statuses, transport, deadline, decode, size) raise those classes."""

from __future__ import annotations

import builtins
import json
import pickle
import re
import socket

import pytest

import libclerk
from libclerk._errors import KINDS, error_from_json
from conftest import REPO, Emulator, unique_email


def _rust_kinds() -> set:
    """Every error kind string of the core's kind table (clerk_core::ErrorKind)."""
    # The one kind table: ErrorKind::as_str in clerk-core (the FFI only maps it to codes).
    table = (REPO / "clerk-core" / "src" / "error_kind.rs").read_text()
    body = table[table.index("pub const fn as_str") : table.index("pub fn from_name")]
    kinds = set(re.findall(r'=> "([a-z0-9_]+)",', body))
    return kinds


def test_every_kind_the_library_emits_has_a_class() -> None:
    kinds = _rust_kinds()
    assert {"api", "timeout", "verification", "webhook", "null_parameter", "panic"} <= kinds
    assert kinds <= set(KINDS), kinds - set(KINDS)


@pytest.mark.parametrize(
    ("kind", "cls", "also"),
    [
        ("api", libclerk.ApiError, None),
        ("transport", libclerk.TransportError, ConnectionError),
        ("timeout", libclerk.DeadlineExceededError, builtins.TimeoutError),
        ("decode", libclerk.DecodeError, ValueError),
        ("response_too_large", libclerk.ResponseTooLargeError, None),
        ("invalid_params", libclerk.InvalidParamsError, ValueError),
        ("unknown_operation", libclerk.UnknownOperationError, LookupError),
        ("config", libclerk.ConfigError, None),
        ("verification", libclerk.VerificationError, None),
        ("webhook", libclerk.WebhookError, None),
        ("null_parameter", libclerk.InvalidArgumentError, ValueError),
        ("invalid_utf8", libclerk.InvalidArgumentError, ValueError),
        ("invalid_json", libclerk.InvalidArgumentError, ValueError),
        ("panic", libclerk.InternalError, None),
        ("unexpected", libclerk.ClerkError, None),
        ("a_kind_from_the_future", libclerk.ClerkError, None),
    ],
)
def test_kind_maps_to_class(kind: str, cls: type, also: type) -> None:
    error = error_from_json(json.dumps({"kind": kind, "message": "boom"}).encode(), 7)
    assert type(error) is cls
    assert isinstance(error, libclerk.ClerkError)
    if also is not None:
        assert isinstance(error, also)
    assert (error.kind, error.message, str(error), error.result) == (kind, "boom", "boom", 7)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, libclerk.ApiError),
        (401, libclerk.AuthenticationError),
        (403, libclerk.PermissionDeniedError),
        (404, libclerk.NotFoundError),
        (422, libclerk.UnprocessableEntityError),
        (429, libclerk.RateLimitError),
        (500, libclerk.ApiError),
    ],
)
def test_api_statuses_pick_subclasses(status: int, cls: type) -> None:
    data = {
        "kind": "api",
        "message": "x",
        "status": status,
        "errors": [{"code": "c", "message": "m"}],
        "clerk_trace_id": "t",
        "retry_after_ms": 1500,
    }
    error = error_from_json(json.dumps(data).encode(), 200)
    assert type(error) is cls and isinstance(error, libclerk.ApiError)
    assert (error.status, error.code, error.clerk_trace_id, error.retry_after) == (
        status,
        "c",
        "t",
        1.5,
    )
    assert error.errors == [{"code": "c", "message": "m"}] and error.data == data


def test_a_broken_error_object_still_raises_the_base_class() -> None:
    for text in (b"not json", b"[1]", None):
        error = error_from_json(text, 999)
        assert type(error) is libclerk.ClerkError and error.result == 999


def test_errors_survive_pickling() -> None:
    data = {
        "kind": "api",
        "message": "gone",
        "status": 404,
        "errors": [{"code": "resource_not_found"}],
    }
    error = pickle.loads(pickle.dumps(error_from_json(json.dumps(data).encode(), 200)))
    assert type(error) is libclerk.NotFoundError and error.code == "resource_not_found"


def test_api_errors_from_the_server(emulator: Emulator, client: libclerk.Client) -> None:
    with pytest.raises(libclerk.NotFoundError) as caught:
        client.users.get(user_id="user_does_not_exist")
    error = caught.value
    assert error.status == 404 and error.code == "resource_not_found"
    assert error.clerk_trace_id and error.errors[0]["message"]
    assert error.result == 200  # CLERK_RESULT_API
    email = unique_email()
    client.users.create(email_address=[email])
    with pytest.raises(libclerk.UnprocessableEntityError) as duplicate:
        client.users.create(email_address=[email])
    assert duplicate.value.code == "form_identifier_exists"
    with libclerk.Client("sk_test_wrong", api_url=emulator.api_url) as wrong:
        with pytest.raises(libclerk.AuthenticationError) as unauthorized:
            wrong.users.list()
    assert unauthorized.value.status == 401


def test_injected_statuses(emulator: Emulator) -> None:
    with emulator.client(retry={"max_attempts": 1}) as client:
        emulator.fault(method="GET", path="/v1/users", status=403)
        with pytest.raises(libclerk.PermissionDeniedError):
            client.users.list()
        emulator.fault(method="GET", path="/v1/users", status=429, retry_after="2")
        with pytest.raises(libclerk.RateLimitError) as limited:
            client.users.list()
        assert limited.value.retry_after == 2.0
        emulator.fault(method="GET", path="/v1/users", status=500)
        with pytest.raises(libclerk.ApiError) as server:
            client.users.list()
        assert type(server.value) is libclerk.ApiError and server.value.status == 500


def test_transport_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    with libclerk.Client(
        "sk_test_x", api_url=f"http://127.0.0.1:{port}", retry={"max_attempts": 1}
    ) as client:
        with pytest.raises(libclerk.TransportError) as caught:
            client.users.list()
    assert isinstance(caught.value, ConnectionError) and caught.value.kind == "transport"


def test_deadline(emulator: Emulator) -> None:
    emulator.fault(method="GET", path="/v1/users", delay_ms=2000)
    with emulator.client(timeout=0.2, retry={"max_attempts": 1}) as client:
        with pytest.raises(libclerk.DeadlineExceededError) as caught:
            client.users.list()
    assert isinstance(caught.value, TimeoutError) and caught.value.kind == "timeout"
    emulator.clear_faults()


def test_undecodable_and_oversized_bodies(emulator: Emulator) -> None:
    with emulator.client(max_response_bytes=4096, retry={"max_attempts": 1}) as client:
        emulator.fault(method="GET", path="/v1/users", action="invalid_json")
        with pytest.raises(libclerk.DecodeError) as broken:
            client.users.list()
        assert broken.value.kind == "decode"
        emulator.fault(method="GET", path="/v1/users", action="oversized", body_bytes=100_000)
        with pytest.raises(libclerk.ResponseTooLargeError):
            client.users.list()


def test_parameter_errors(client: libclerk.Client) -> None:
    with pytest.raises(libclerk.InvalidParamsError, match="user_id"):
        client.users.get()  # missing required
    with pytest.raises(libclerk.InvalidParamsError, match="limit"):
        client.users.list(limit="ten")  # wrong type
    with pytest.raises(libclerk.InvalidParamsError, match="bogus"):
        client.users.list(bogus=1)
    with pytest.raises(libclerk.UnknownOperationError):
        client.call("users.nope")
    with pytest.raises(libclerk.InvalidArgumentError, match="NUL"):
        client.call("users.get\0", user_id="x")
    with pytest.raises(ValueError):
        client.users.list(limit=float("nan"))  # no JSON for NaN
