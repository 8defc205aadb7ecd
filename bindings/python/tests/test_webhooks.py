"""Webhook verification and signing, checked against a stdlib HMAC of the Svix scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

import libclerk
import libclerk.testing

SECRET = "whsec_" + base64.b64encode(b"python-binding-test-secret-32by").decode()
BODY = json.dumps(
    {
        "type": "user.created",
        "data": {"id": "user_1"},
        "object": "event",
        "timestamp": 1700000000000,
        "instance_id": "ins_1",
    }
)


def _headers(body: str, timestamp: int, message_id: str = "msg_1") -> dict:
    signature = libclerk.testing.sign_webhook(SECRET, message_id, timestamp, body)
    return {"svix-id": message_id, "svix-timestamp": str(timestamp), "svix-signature": signature}


def test_signatures_follow_the_svix_scheme() -> None:
    now = int(time.time())
    key = base64.b64decode(SECRET[len("whsec_") :])
    expected = base64.b64encode(
        hmac.new(key, f"msg_1.{now}.{BODY}".encode(), hashlib.sha256).digest()
    )
    assert libclerk.testing.sign_webhook(SECRET, "msg_1", now, BODY) == "v1," + expected.decode()
    assert (
        libclerk.testing.sign_webhook(SECRET, "msg_1", now, BODY.encode())
        == "v1," + expected.decode()
    )


def test_a_signed_delivery_verifies() -> None:
    now = int(time.time())
    event = libclerk.verify_webhook(SECRET, _headers(BODY, now), BODY.encode())
    assert event["type"] == "user.created" and event["data"] == {"id": "user_1"}
    assert (event["message_id"], event["signed_at"]) == ("msg_1", now)
    assert event["timestamp"] == 1700000000000 and event["instance_id"] == "ins_1"
    assert event["raw"]["object"] == "event"
    # Header pairs, other headers and a str body work too.
    pairs = list(_headers(BODY, now).items()) + [("content-type", "application/json")]
    assert libclerk.verify_webhook(SECRET, pairs, BODY)["type"] == "user.created"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("body", "no-matching-signature"),
        ("old", "timestamp-too-old"),
        ("new", "timestamp-too-new"),
        ("missing", "missing-headers"),
        ("secret", "invalid-secret"),
        ("payload", "invalid-payload"),
    ],
)
def test_refused_deliveries(change: str, reason: str) -> None:
    now = int(time.time())
    body, secret = BODY, SECRET
    headers = _headers(body, now)
    if change == "body":
        body = body.replace("user_1", "user_2")
    elif change == "old":
        headers = _headers(body, now - 3600)
    elif change == "new":
        headers = _headers(body, now + 3600)
    elif change == "missing":
        del headers["svix-signature"]
    elif change == "secret":
        secret = "whsec_!!!"
    elif change == "payload":
        body = "not json"
        headers = _headers(body, now)
    with pytest.raises(libclerk.WebhookError) as caught:
        libclerk.verify_webhook(secret, headers, body)
    assert caught.value.reason == reason and caught.value.kind == "webhook"
