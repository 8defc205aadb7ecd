"""Reliability through the Python binding: a panic inside the core is an exception and
leaves the client usable; secrets appear in no exception's str, repr, args or data."""

from __future__ import annotations

import pickle
import time
from typing import Any, Iterable, List

import pytest

import libclerk
import libclerk.testing

from conftest import OTHER_KEY, Emulator

#: The core's test hook (clerk_core::testing::PANIC_OPERATION): calling it panics inside
#: the core, which the C library turns into CLERK_RESULT_PANIC.
PANIC_OPERATION = "$testing.panic"
WRONG_KEY = "sk_test_WrongKeyWrongKeyWrong0123456789"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_panic_in_the_core_raises_internal_error_and_the_client_stays_usable(
    client: libclerk.Client,
) -> None:
    for _ in range(3):
        with pytest.raises(libclerk.InternalError) as raised:
            client.call(PANIC_OPERATION)
        error = raised.value
        assert error.kind == "panic"
        assert error.result == 100  # CLERK_RESULT_PANIC
        assert "forced panic" in str(error)
        # The same handle serves the next calls.
        assert isinstance(client.users.list(limit=1), list)
        with pytest.raises(libclerk.NotFoundError):
            client.users.get(user_id="user_missing")
    assert not client.closed


def _texts(error: BaseException) -> List[str]:
    """Everything an exception shows: str, repr, args, its data and its pickled form."""
    texts = [str(error), repr(error), repr(error.args)]
    data = getattr(error, "data", None)
    if data is not None:
        texts.append(repr(data))
    texts.append(repr(pickle.dumps(error)))
    return texts


def _assert_clean(error: BaseException, secrets: Iterable[str]) -> None:
    for text in _texts(error):
        for secret in secrets:
            assert secret not in text and secret[-16:] not in text, (secret, text)


def test_secrets_never_appear_in_exceptions(emulator: Emulator) -> None:
    valid = emulator.mint({"sub": "user_secret"})
    expired = emulator.mint({"exp": 1000, "iat": 900, "nbf": 900})
    foreign = libclerk.testing.mint_session_token(OTHER_KEY.read_text(), emulator.kid, {})
    secrets = [
        emulator.secret_key,
        WRONG_KEY,
        WEBHOOK_SECRET,
        expired,
        foreign,
        valid.rsplit(".", 1)[1],
        expired.rsplit(".", 1)[1],
        foreign.rsplit(".", 1)[1],
    ]
    errors: List[BaseException] = []

    def expect(exception: Any, call: Any, *args: Any, **kwargs: Any) -> None:
        with pytest.raises(exception) as raised:
            call(*args, **kwargs)
        errors.append(raised.value)

    with libclerk.Client(WRONG_KEY, api_url=emulator.api_url, retry={"max_attempts": 1}) as wrong:
        assert WRONG_KEY not in repr(wrong)
        expect(libclerk.AuthenticationError, wrong.users.list)
        expect(libclerk.AuthenticationError, wrong.request, "GET", "/users")
        with libclerk.Verifier(client=wrong) as refused:
            expect(libclerk.VerificationError, refused.verify, valid)
    expect(libclerk.ConfigError, libclerk.Client, WRONG_KEY + " x", api_url=emulator.api_url)
    expect(libclerk.ConfigError, libclerk.Client, WRONG_KEY, api_url=f"https://u:{WRONG_KEY}@x")
    with emulator.client() as client:
        assert emulator.secret_key not in repr(client)
        expect(libclerk.NotFoundError, client.users.get, user_id="user_missing")
        with libclerk.Verifier(client=client) as verifier:
            assert verifier.verify(valid)["sub"] == "user_secret"
            for token in (expired, foreign, valid.rsplit(".", 1)[0] + ".AAAA", "eyJhbGciOiJub25lIn0.e30."):
                expect(libclerk.VerificationError, verifier.verify, token)
            expect(libclerk.VerificationError, verifier.verify_machine_token, "mt_unknownSecretToken")
            state = verifier.authenticate_request("GET", {"Cookie": f"__session={expired}; __client_uat=1"})
            for secret in secrets:
                assert secret not in repr(state), (secret, state)
    headers = {"svix-id": "msg_1", "svix-timestamp": str(int(time.time())), "svix-signature": "v1,AAAA"}
    expect(libclerk.WebhookError, libclerk.verify_webhook, WEBHOOK_SECRET, headers, b"{}")
    expect(libclerk.WebhookError, libclerk.verify_webhook, WEBHOOK_SECRET + "!", headers, b"{}")

    assert len(errors) >= 12
    for error in errors:
        _assert_clean(error, secrets)
