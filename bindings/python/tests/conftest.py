"""Fixtures: the real clerk-emulator binary on 127.0.0.1 for the whole session, clients
on it, and tokens signed with the emulator's committed test key."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional

import pytest

import libclerk
import libclerk.testing

REPO = Path(__file__).resolve().parents[3]
EMULATOR_KEY = REPO / "tests" / "emulator" / "fixtures" / "signing_key_1.pem"
OTHER_KEY = REPO / "tests" / "c" / "fixtures" / "other_signing_key.pem"
OTHER_PUBLIC_KEY = REPO / "tests" / "c" / "fixtures" / "other_signing_key.pub.pem"


class Emulator:
    """The running emulator: its JSON line, and its control endpoints."""

    def __init__(self, info: Dict[str, str]) -> None:
        self.info = info
        self.api_url = info["api_url"]
        self.secret_key = info["secret_key"]
        self.publishable_key = info["publishable_key"]
        self.kid = info["kid"]
        self.issuer = info["issuer"]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.api_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def fault(self, **fault: Any) -> None:
        self.control("POST", "/__emulator/faults", fault)

    def clear_faults(self) -> None:
        self.control("DELETE", "/__emulator/faults")

    def counters(self) -> Dict[str, Any]:
        counters: Dict[str, Any] = self.control("GET", "/__emulator/counters")
        return counters

    def reset(self) -> None:
        self.control("POST", "/__emulator/reset")

    def client(self, **options: Any) -> libclerk.Client:
        return libclerk.Client(self.secret_key, api_url=self.api_url, **options)

    def mint(
        self,
        claims: Optional[Mapping[str, Any]] = None,
        header: Optional[Mapping[str, Any]] = None,
    ) -> str:
        """A session token signed with the key the emulator's JWKS serves."""
        return libclerk.testing.mint_session_token(
            EMULATOR_KEY.read_text(), self.kid, claims, header=header
        )


def _emulator_binary() -> str:
    binary = os.environ.get("CLERK_EMULATOR_BIN") or str(
        REPO / "target" / "debug" / "clerk-emulator"
    )
    if not os.path.exists(binary):
        pytest.exit(f"no emulator binary at {binary}: run `cargo build -p clerk-emulator`", 2)
    return binary


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    process = subprocess.Popen(
        [_emulator_binary(), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        line = ""
        while not line.endswith("\n") and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                chunk = process.stdout.readline()
                if not chunk:
                    break
                line += chunk
        info = json.loads(line)
        assert info["api_url"].startswith("http://127.0.0.1:"), info
        yield Emulator(info)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[libclerk.Client]:
    emulator.clear_faults()
    with emulator.client() as client:
        yield client
    emulator.clear_faults()


@pytest.fixture
def verifier(client: libclerk.Client) -> Iterator[libclerk.Verifier]:
    with libclerk.Verifier(client=client) as verifier:
        yield verifier


def unique_email() -> str:
    return f"py-{uuid.uuid4().hex[:12]}@example.com"
