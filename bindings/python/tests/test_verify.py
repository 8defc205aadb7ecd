"""Session verification, machine tokens and request authentication against the
emulator's keys."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any, Dict, List

import pytest

import libclerk
from conftest import OTHER_KEY, OTHER_PUBLIC_KEY, Emulator, unique_email


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "user_forged"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _refused(verifier: libclerk.Verifier, token: str) -> libclerk.VerificationError:
    with pytest.raises(libclerk.VerificationError) as caught:
        verifier.verify(token)
    assert caught.value.kind == "verification" and caught.value.result == 300
    return caught.value


def test_a_valid_token_gives_its_claims(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    claims = verifier.verify(
        emulator.mint({"sub": "user_py", "o": {"id": "org_1", "rol": "admin", "slg": "acme"}})
    )
    assert claims["sub"] == "user_py"
    assert claims["raw"]["sub"] == "user_py" and claims["version"] == 2
    assert claims["organization"]["id"] == "org_1" and claims["organization"]["role"] == "org:admin"
    assert claims["exp"] > time.time()


def test_refusals_carry_the_reference_reason(
    emulator: Emulator, verifier: libclerk.Verifier
) -> None:
    now = int(time.time())
    expired = emulator.mint({"exp": now - 60, "iat": now - 120, "nbf": now - 120})
    assert _refused(verifier, expired).reason == "token-expired"
    assert _refused(verifier, _tamper(emulator.mint())).reason == "token-invalid-signature"
    assert _refused(verifier, "not-a-jwt").reason == "token-invalid"
    unknown_kid = emulator.mint(header={"kid": "ins_unknown"})
    assert _refused(verifier, unknown_kid).reason == "jwk-kid-mismatch"


def test_authorized_parties(emulator: Emulator, client: libclerk.Client) -> None:
    token = emulator.mint({"azp": "https://app.example.com"})
    with libclerk.Verifier(client=client, authorized_parties=["https://app.example.com"]) as good:
        assert good.verify(token)["azp"] == "https://app.example.com"
    with libclerk.Verifier(client=client, authorized_parties=["https://other.example"]) as strict:
        assert _refused(strict, token).reason == "token-invalid-authorized-parties"


def test_a_token_the_emulator_issued_for_a_session(
    client: libclerk.Client, verifier: libclerk.Verifier
) -> None:
    user = client.users.create(email_address=[unique_email()])
    session = client.sessions.create(user_id=user["id"])
    token = client.sessions.create_token(session_id=session["id"])["jwt"]
    claims = verifier.verify(token)
    assert (claims["sub"], claims["sid"]) == (user["id"], session["id"])


def test_a_pem_key_verifies_without_any_network(monkeypatch: pytest.MonkeyPatch) -> None:
    token = libclerk.testing.mint_session_token(
        OTHER_KEY.read_text(), "kid_other", {"sub": "user_pem"}
    )
    with libclerk.Verifier(OTHER_PUBLIC_KEY.read_text(), clock_skew=5) as verifier:
        assert verifier.verify(token)["sub"] == "user_pem"
    monkeypatch.setenv("CLERK_JWT_KEY", OTHER_PUBLIC_KEY.read_text())
    with libclerk.Verifier() as from_env:
        assert from_env.verify(token)["sub"] == "user_pem"
    with pytest.raises(libclerk.ConfigError):
        libclerk.Verifier("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----")
    with pytest.raises(libclerk.InvalidArgumentError):
        libclerk.Verifier(OTHER_PUBLIC_KEY.read_text(), authorized_parties="https://a.example")


def test_every_verifier_option_is_accepted(client: libclerk.Client, emulator: Emulator) -> None:
    with libclerk.Verifier(
        client=client,
        audience=[],
        issuer=[emulator.issuer],
        clock_skew=1,
        jwks_ttl=60,
        kid_refetch_interval=1,
        max_stale=120,
    ) as verifier:
        assert verifier.verify(emulator.mint({"iss": emulator.issuer}))["iss"] == emulator.issuer


def test_machine_tokens(client: libclerk.Client, verifier: libclerk.Verifier) -> None:
    user = client.users.create(email_address=[unique_email()])
    key = client.api_keys.create(name="python test key", subject=user["id"])
    verified = verifier.verify_machine_token(key["secret"])
    assert verified["token_type"] == "api_key" and verified["data"]["id"] == key["id"]
    with pytest.raises(libclerk.VerificationError) as caught:
        verifier.verify_machine_token("mt_unknown")
    assert caught.value.reason == "token-invalid"


def test_authenticate_request(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    token = emulator.mint({"sub": "user_req"})
    state = verifier.authenticate_request("GET", {"Authorization": f"Bearer {token}"})
    assert state["status"] == "signed-in" and state["claims"]["sub"] == "user_req"
    assert state["token_type"] == "session_token"
    cookie = f"__client_uat={int(time.time()) - 60}; __session={token}"
    assert verifier.authenticate_request("GET", [("Cookie", cookie)])["status"] == "signed-in"
    signed_out = verifier.authenticate_request("GET", {})
    assert (signed_out["status"], signed_out["reason"]) == (
        "signed-out",
        "session-token-and-uat-missing",
    )
    page_load = verifier.authenticate_request(
        "GET", {"Cookie": f"__session={token}", "Sec-Fetch-Dest": "document"}
    )
    assert (page_load["status"], page_load["reason"]) == (
        "handshake",
        "session-token-but-no-client-uat",
    )
    other_party = verifier.authenticate_request(
        "GET",
        {"Authorization": f"Bearer {token}"},
        authorized_parties=["https://other.example"],
        accepts_token=["session_token"],
        publishable_key=emulator.publishable_key,
    )
    assert other_party["reason"] == "token-invalid-authorized-parties"
    with pytest.raises(libclerk.InvalidArgumentError):
        verifier.authenticate_request("GET", {}, accepts_token=["carrier_pigeon"])


def test_threads_share_one_verifier(emulator: Emulator, verifier: libclerk.Verifier) -> None:
    tokens = [emulator.mint({"sub": f"user_{i}"}) for i in range(4)]
    errors: List[BaseException] = []
    results: Dict[int, List[Any]] = {i: [] for i in range(4)}

    def work(i: int) -> None:
        try:
            for _ in range(200):
                results[i].append(verifier.verify(tokens[i])["sub"])
            results[i].append(
                verifier.authenticate_request("GET", {"authorization": f"Bearer {tokens[i]}"})[
                    "status"
                ]
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    for i in range(4):
        assert results[i] == [f"user_{i}"] * 200 + ["signed-in"]


def test_verifier_lifetime(emulator: Emulator) -> None:
    client = emulator.client()
    verifier = libclerk.Verifier(client=client)
    client.close()  # the verifier keeps its own reference to the client
    assert verifier.verify(emulator.mint())["sub"] == "user_test"
    verifier.close()
    verifier.close()
    assert verifier.closed
    with pytest.raises(libclerk.ClosedError):
        verifier.verify(emulator.mint())
    with pytest.raises(libclerk.ClosedError):
        verifier.authenticate_request("GET", {})
    with libclerk.Verifier(OTHER_PUBLIC_KEY.read_text()) as scoped:
        pass
    assert scoped.closed


def test_a_token_with_a_nul_is_refused_before_the_library(verifier: libclerk.Verifier) -> None:
    with pytest.raises(libclerk.InvalidArgumentError):
        verifier.verify("abc\0def")
