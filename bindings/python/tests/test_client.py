"""The client against the emulator: calls by name and attribute, raw requests, pages,
uploads, configuration, threads and handle lifetime."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any, List

import pytest

import libclerk
from conftest import Emulator, unique_email

# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_create_get_update_delete_by_attribute(client: libclerk.Client) -> None:
    email = unique_email()
    user = client.users.create(email_address=[email], first_name="Ada")
    assert user["first_name"] == "Ada"
    assert user["email_addresses"][0]["email_address"] == email
    assert client.users.get(user_id=user["id"])["id"] == user["id"]
    updated = client.users.update(user_id=user["id"], last_name="Lovelace")
    assert updated["last_name"] == "Lovelace"
    deleted = client.users.delete(user_id=user["id"])
    assert deleted["deleted"] is True
    with pytest.raises(libclerk.NotFoundError):
        client.users.get(user_id=user["id"])


def test_call_by_name_and_operation_id_with_a_dict_and_keywords(client: libclerk.Client) -> None:
    user = client.call("users.create", {"email_address": [unique_email()]}, first_name="Grace")
    assert client.call("users.get", user_id=user["id"])["first_name"] == "Grace"
    assert client.call("GetUser", {"user_id": user["id"]})["id"] == user["id"]
    # A keyword overrides the same key of the dict.
    assert client.call("GetUser", {"user_id": "user_nope"}, user_id=user["id"])["id"] == user["id"]


def test_extra_body_and_whole_body_spellings(client: libclerk.Client) -> None:
    # `extra_body` is `$extra_body`: fields merged into the body unchecked.
    user = client.users.create(email_address=[unique_email()], extra_body={"first_name": "Extra"})
    assert user["first_name"] == "Extra"
    # `body` is `$body`: the whole body of an operation whose body is an array.
    emails = [unique_email(), unique_email()]
    invitations = client.invitations.bulk_create(body=[{"email_address": e} for e in emails])
    assert sorted(i["email_address"] for i in invitations) == sorted(emails)
    # The `$` keys themselves work too, through `call`.
    again = client.call("invitations.bulk_create", {"$body": [{"email_address": unique_email()}]})
    assert len(again) == 1


def test_raw_request(client: libclerk.Client) -> None:
    email = unique_email()
    created = client.request("POST", "/users", body={"email_address": [email]})
    assert created.status == 200 and created.body["email_addresses"][0]["email_address"] == email
    found = client.request("GET", "/users", query={"email_address": [email], "limit": 5})
    assert found.status == 200
    assert [u["id"] for u in found.body] == [created.body["id"]]
    with pytest.raises(libclerk.NotFoundError):
        client.request("GET", "/no_such_endpoint")
    with pytest.raises(libclerk.InvalidParamsError):
        client.request("BREW", "/users")


def test_pages_and_items_over_several_pages(emulator: Emulator, client: libclerk.Client) -> None:
    emulator.reset()
    ids = {client.users.create(email_address=[unique_email()])["id"] for _ in range(7)}
    before = emulator.counters()["routes"].get("GET /v1/users", 0)
    assert {u["id"] for u in client.users.list_all(limit=3)} == ids
    requests = emulator.counters()["routes"]["GET /v1/users"] - before
    assert requests == 3  # 3 + 3 + 1: one page in memory at a time
    pages = list(client.pages("users.list", limit=3))
    assert [len(page) for page in pages] == [3, 3, 1]
    assert len(list(client.items("GetUserList", {"limit": 2}))) == 7


def test_paging_a_data_total_count_list(emulator: Emulator, client: libclerk.Client) -> None:
    emulator.reset()
    owner = client.users.create(email_address=[unique_email()])
    names = {f"Org {i}" for i in range(5)}
    for name in names:
        client.organizations.create(name=name, created_by=owner["id"])
    pages = list(client.pages("organizations.list", limit=2))
    assert len(pages) == 3 and all(page["total_count"] == 5 for page in pages)
    assert {org["name"] for org in client.organizations.list_all(limit=2)} == names


def test_a_page_iterator_closes(client: libclerk.Client) -> None:
    client.users.create(email_address=[unique_email()])
    pages = client.pages("users.list", limit=1)
    next(pages)
    pages.close()
    pages.close()
    with pytest.raises(libclerk.ClosedError):
        next(pages)
    with client.pages("users.list", limit=500) as pages:
        assert list(pages)
        with pytest.raises(StopIteration):
            next(pages)  # exhausted stays exhausted


def test_paging_errors_are_raised_at_once_or_at_the_failing_page(
    emulator: Emulator, client: libclerk.Client
) -> None:
    with pytest.raises(libclerk.UnknownOperationError):
        client.pages("users.nope")
    with pytest.raises(libclerk.InvalidParamsError):
        client.pages("users.get", user_id="x")  # not a list operation
    emulator.fault(method="GET", path="/v1/users", status=404, times=5)
    pages = client.pages("users.list")
    with pytest.raises(libclerk.NotFoundError):
        next(pages)
    with pytest.raises(StopIteration):
        next(pages)  # an error ends the paging


def test_multipart_upload(client: libclerk.Client) -> None:
    user = client.users.create(email_address=[unique_email()])
    updated = client.users.set_profile_image(
        user_id=user["id"], file=libclerk.File("me.png", PNG, "image/png")
    )
    assert updated["id"] == user["id"] and updated["has_image"] is True


def test_an_upload_without_a_content_type(client: libclerk.Client) -> None:
    user = client.users.create(email_address=[unique_email()])
    updated = client.call(
        "SetUserProfileImage", user_id=user["id"], file=libclerk.File("me.png", PNG)
    )
    assert updated["has_image"] is True


def test_a_per_call_timeout(emulator: Emulator, client: libclerk.Client) -> None:
    # The client's own budget is 30 s; the call's 0.3 s wins, retries included.
    emulator.fault(method="GET", path="/v1/users", delay_ms=3000, times=50)
    for call in (
        lambda: client.users.list(limit=1, timeout=0.3),
        lambda: client.call("users.list", timeout=0.3),
        lambda: client.request("GET", "/users", timeout=0.3),
        lambda: next(client.pages("users.list", timeout=0.3)),
    ):
        with pytest.raises(libclerk.DeadlineExceededError) as caught:
            call()
        assert caught.value.kind == "timeout" and isinstance(caught.value, TimeoutError)
    emulator.clear_faults()
    assert isinstance(client.users.list(limit=1, timeout=10), list)
    assert list(client.users.list_all(limit=2, timeout=10))
    for out_of_range in (0, 601):
        with pytest.raises(libclerk.InvalidArgumentError, match="timeout_ms"):
            client.users.list(timeout=out_of_range)


def test_the_environment_configures_a_client(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLERK_SECRET_KEY", emulator.secret_key)
    monkeypatch.setenv("CLERK_API_URL", emulator.api_url)
    with libclerk.Client() as client:
        assert client.users.create(email_address=[unique_email()])["object"] == "user"
    # Keyword arguments apply on top of the environment when no secret key is given.
    with libclerk.Client(user_agent="py-test/1") as client:
        assert isinstance(client.users.list(limit=1), list)
    monkeypatch.delenv("CLERK_SECRET_KEY")
    with pytest.raises(libclerk.ConfigError):
        libclerk.Client()
    with pytest.raises(libclerk.ConfigError):
        libclerk.Client(api_url=emulator.api_url)


def test_configuration_errors() -> None:
    with pytest.raises(libclerk.ConfigError):
        libclerk.Client("sk_test_x", api_url="ftp://example.com")
    with pytest.raises(libclerk.InvalidArgumentError) as caught:
        libclerk.Client("sk_test_x", retry={"attempts": 2})
    assert caught.value.kind == "invalid_json"
    with pytest.raises(libclerk.InvalidArgumentError):
        libclerk.Client("sk_test_x", root_certificates="nope")


def test_every_config_key_is_accepted(emulator: Emulator) -> None:
    client = libclerk.Client(
        emulator.secret_key,
        api_url=emulator.api_url,
        api_version="2026-05-12",
        user_agent="libclerk-python-test",
        timeout=5,
        connect_timeout=2,
        max_response_bytes=1 << 20,
        retry={
            "max_attempts": 2,
            "initial_backoff_ms": 1,
            "max_backoff_ms": 2,
            "max_elapsed_ms": 100,
        },
        root_certificates="webpki",
        proxy_from_env=False,
        from_env=False,
        headers={"X-Gateway": "edge-1"},
    )
    with client:
        assert isinstance(client.users.list(limit=1), list)
    # The client's own headers cannot be replaced; an unknown key is named.
    with pytest.raises(libclerk.ConfigError, match="Authorization"):
        libclerk.Client("sk_test_x", headers={"Authorization": "Bearer other"})


def test_threads_share_one_client(client: libclerk.Client) -> None:
    user = client.users.create(email_address=[unique_email()])
    errors: List[BaseException] = []
    seen: List[str] = []

    def work() -> None:
        try:
            for _ in range(15):
                seen.append(client.users.get(user_id=user["id"])["id"])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and seen == [user["id"]] * 90


def test_close_is_idempotent_and_use_after_close_raises(emulator: Emulator) -> None:
    client = emulator.client()
    client.users.list(limit=1)
    client.close()
    client.close()
    assert client.closed and "closed" in repr(client)
    for use in (
        lambda: client.users.list(limit=1),
        lambda: client.call("users.list"),
        lambda: client.pages("users.list"),
        lambda: client.request("GET", "/users"),
        lambda: libclerk.Verifier(client=client),
    ):
        with pytest.raises(libclerk.ClosedError):
            use()
    with emulator.client() as other:
        pass
    assert other.closed


def test_pagers_outlive_their_client(emulator: Emulator) -> None:
    client = emulator.client()
    client.users.create(email_address=[unique_email()])
    pages = client.pages("users.list", limit=1)
    client.close()
    assert next(pages)  # the pager holds its own reference to the client's internals
    pages.close()


def test_a_dropped_client_is_freed_at_once(emulator: Emulator) -> None:
    client = emulator.client()
    users = client.users  # resources do not keep the client in a cycle
    reference = weakref.ref(client)
    del client, users
    gc.disable()
    try:
        assert reference() is None
    finally:
        gc.enable()


def test_a_concurrent_close_waits_for_calls_in_flight(emulator: Emulator) -> None:
    client = emulator.client()
    emulator.fault(method="GET", path="/v1/users", delay_ms=300)
    results: List[Any] = []
    thread = threading.Thread(target=lambda: results.append(client.users.list(limit=1)))
    thread.start()
    # Closing while the call is in the C library must not free the client under it.
    for _ in range(100):
        if client._handle._users:
            break
        threading.Event().wait(0.01)
    client.close()
    thread.join(timeout=30)
    assert results and isinstance(results[0], list)
    with pytest.raises(libclerk.ClosedError):
        client.users.list()
