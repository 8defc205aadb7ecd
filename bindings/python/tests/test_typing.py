"""mypy, with the shipped stub, accepts a typed program and catches misuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "typed_example.py"

MISUSE = """
import libclerk
client = libclerk.Client()
client.users.create(email_adress=["typo@example.com"])
client.users.get()
client.users.list(limit="ten")
user = client.users.get(user_id="user_1")
user["frist_name"]
name: int = user["first_name"]
client.users.no_such_method()
for u in client.users.list_all():
    reveal_type(u)
reveal_type(client.organizations.list())
libclerk.Verifier().verify(42)
"""


def _mypy(*args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("mypy")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--strict",
            "--python-version",
            "3.9",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_typed_example_passes_strict_mypy() -> None:
    result = _mypy(str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_catches_misuse(tmp_path: Path) -> None:
    program = tmp_path / "misuse.py"
    program.write_text(MISUSE)
    result = _mypy(str(program))
    out = result.stdout
    assert result.returncode == 1, out
    expected = [
        ':4: error: Unexpected keyword argument "email_adress"',
        ':5: error: Missing named argument "user_id"',
        ':6: error: Argument "limit" to "list" of "UsersResource" has incompatible type "str"; expected "int"',
        ':8: error: TypedDict "User" has no key "frist_name"',
        ':9: error: Incompatible types in assignment (expression has type "Optional[str]", variable has type "int")',
        ':10: error: "UsersResource" has no attribute "no_such_method"',
        ":12: note: Revealed type is \"TypedDict('libclerk.api.User'",
        ":13: note: Revealed type is \"TypedDict('libclerk.api.Organizations'",
        ':14: error: Argument 1 to "verify" of "Verifier" has incompatible type "int"; expected "str"',
    ]
    for line in expected:
        assert line in out, f"{line!r} not in mypy's output:\n{out}"
