"""Types of the values libclerk returns outside the spec's models: session claims,
request states, webhook events, raw responses, and the file argument of uploads.

The dicts are exactly the JSON the C library returns (include/clerk.h documents each
shape); these TypedDicts only describe them for type checkers.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, TypedDict, Union


class File(NamedTuple):
    """A file for a multipart parameter (``users.set_profile_image(file=File(...))``)."""

    filename: str
    content: bytes
    content_type: Optional[str] = None


class RawResponse(NamedTuple):
    """What :meth:`libclerk.Client.request` returns: the HTTP status and the JSON body."""

    status: int
    body: Any


class Organization(TypedDict, total=False):
    """The session's active organization (``organization`` of :class:`Claims`)."""

    id: str
    slug: str
    role: str
    permissions: List[str]


class ScopedNames(TypedDict):
    """Feature or plan names split by scope."""

    org: List[str]
    user: List[str]


class _ClaimsRequired(TypedDict):
    sub: str
    exp: int
    features: ScopedNames
    plans: ScopedNames
    raw: Dict[str, Any]


class Claims(_ClaimsRequired, total=False):
    """The claims of a verified session token (``raw`` holds every claim as sent)."""

    sid: str
    azp: str
    iss: str
    iat: int
    nbf: int
    sts: str
    act: Any
    fva: List[int]
    version: int
    organization: Organization


class MachineToken(TypedDict):
    """A verified machine token: ``token_type`` is ``api_key``, ``m2m_token`` or
    ``oauth_token``; ``data`` the Backend API's answer or the JWT's claims."""

    token_type: str
    data: Any


class _RequestStateRequired(TypedDict):
    status: str


class RequestState(_RequestStateRequired, total=False):
    """The outcome of :meth:`libclerk.Verifier.authenticate_request`.

    ``status`` is ``signed-in`` (with ``token_type`` and ``claims`` for session tokens or
    ``machine`` for machine tokens), ``signed-out`` (with ``token_type``, ``reason`` and
    ``message``) or ``handshake`` (with ``reason`` and ``message``: redirect the browser
    to Clerk's handshake).
    """

    token_type: str
    claims: Claims
    machine: Any
    reason: str
    message: str
    #: Headers to set on the response, lowercase names: ``location`` (handshake),
    #: ``set-cookie`` (a list), ``cache-control``, ``x-clerk-auth-status``, ...
    headers: Dict[str, Union[str, List[str]]]
    #: The results of the ``has`` checks, in order.
    has: List[bool]


class OrganizationSyncOptions(TypedDict, total=False):
    """URL path patterns (``/orgs/:slug``, ``/me``) that select the active organization."""

    organization_patterns: List[str]
    personal_account_patterns: List[str]


class AuthenticateOptions(TypedDict, total=False):
    """The options of :meth:`libclerk.Verifier.authenticate_request`: ``@clerk/backend``'s
    ``authenticateRequest`` options in snake_case, sent to the C library as they are (it
    refuses unknown keys, naming them)."""

    secret_key: str
    publishable_key: str
    jwt_key: str
    machine_secret_key: str
    authorized_parties: Sequence[str]
    audience: Union[str, Sequence[str]]
    clock_skew_ms: int
    domain: str
    is_satellite: bool
    proxy_url: str
    sign_in_url: str
    sign_up_url: str
    satellite_auto_sync: bool
    accepts_token: Union[str, Sequence[str]]
    organization_sync_options: OrganizationSyncOptions


class CustomReverification(TypedDict):
    """A reverification level (``first_factor``, ``second_factor``, ``multi_factor``)
    and how recent it must be."""

    level: str
    after_minutes: float


class Check(TypedDict, total=False):
    """An authorization check, as ``auth.has(...)``: every key given must pass."""

    role: str
    permission: str
    feature: str
    plan: str
    #: A preset (``strict_mfa``, ``strict``, ``moderate``, ``lax``) or a custom level.
    reverification: Union[str, CustomReverification]


class _WebhookEventRequired(TypedDict):
    type: str
    data: Any
    message_id: str
    signed_at: int
    raw: Dict[str, Any]


class WebhookEvent(_WebhookEventRequired, total=False):
    """A verified webhook delivery: the event ``type`` and ``data``, the ``svix-id``
    (``message_id``) and ``svix-timestamp`` (``signed_at``), and the whole event."""

    timestamp: int
    instance_id: str
