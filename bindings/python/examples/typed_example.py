"""A small typed program: mypy --strict checks it against libclerk's stub (api.pyi).

Run it against the emulator: CLERK_SECRET_KEY=... CLERK_API_URL=... python typed_example.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

import libclerk

if TYPE_CHECKING:
    from libclerk.api import Organization, User


def primary_email(user: User) -> Optional[str]:
    for address in user["email_addresses"]:
        if address["id"] == user["primary_email_address_id"]:
            return address["email_address"]
    return None


def onboard(client: libclerk.Client, email: str) -> User:
    user = client.users.create(
        email_address=[email], first_name="Ada", public_metadata={"plan": "pro"}
    )
    org: Organization = client.organizations.create(
        name="Analytical Engines", created_by=user["id"]
    )
    client.organization_memberships.list(organization_id=org["id"], limit=10)
    return user


def every_user_id(client: libclerk.Client) -> List[str]:
    return [user["id"] for user in client.users.list_all(limit=100)]


def check(verifier: libclerk.Verifier, token: str) -> str:
    try:
        claims = verifier.verify(token)
    except libclerk.VerificationError as error:
        return f"refused: {error.reason}"
    organization = claims.get("organization")
    return claims["sub"] + (f" in {organization['id']}" if organization else "")


def main() -> None:
    with libclerk.Client() as client:
        try:
            user = onboard(client, "typed-example@example.com")
        except libclerk.UnprocessableEntityError as error:
            print("already there:", error.code)
            return
        print(primary_email(user), len(every_user_id(client)))
        with libclerk.Verifier(client=client) as verifier:
            print(check(verifier, "not-a-token"))


if __name__ == "__main__":
    main()
