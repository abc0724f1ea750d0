"""Who may do what: bearer tokens and roles.

Roles: ``admin`` (global, from settings), and per event ``host``, ``staff`` and ``overlay``
(created with the event; only their SHA-256 is stored). Admin may do everything staff and host
may. Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from liveevent.errors import Forbidden, Unauthenticated
from liveevent.web.appkeys import EVENTS, SETTINGS


def bearer(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 section 2.1; the
    scheme is matched case-insensitively), stripped; None without one.

    Raises ``Forbidden`` for a token that is not ASCII.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    if not token.isascii():
        # Tokens are URL-safe ASCII; other bytes arrive as surrogates that cannot be hashed.
        raise Forbidden("this token is not valid")
    return token.strip()


def is_admin(request: web.Request, token: str) -> bool:
    """Whether ``token`` is the ``admin_token`` setting (constant time); False when none is
    set. Raises nothing."""
    admin = request.app[SETTINGS].admin_token
    return admin is not None and hmac.compare_digest(admin.reveal().encode(), token.encode())


def require_admin(request: web.Request) -> None:
    """Returns None if the caller holds the admin token.

    Raises ``Unauthenticated`` (401) without a bearer token, ``Forbidden`` (403) for another.
    """
    token = bearer(request)
    if token is None:
        raise Unauthenticated("an admin token is required")
    if not is_admin(request, token):
        raise Forbidden("this token may not do that")


async def require_role(
    request: web.Request, event_id: str, roles: tuple[str, ...], token: str | None = None
) -> str:
    """The role the caller holds on ``event_id`` among ``roles`` (or ``admin``).

    Raises ``Unauthenticated`` without a token, ``NotFound`` for an unknown event and
    ``Forbidden`` for a token that holds none of ``roles`` here.
    """
    token = token if token is not None else bearer(request)
    if token is None:
        raise Unauthenticated("a token is required: Authorization: Bearer <token>")
    if is_admin(request, token):
        await request.app[EVENTS].event_view(event_id)  # 404 for an unknown event
        return "admin"
    role = await request.app[EVENTS].check_token(event_id, ("host", "staff", "overlay"), token)
    if role in roles:
        return role
    await request.app[EVENTS].event_view(event_id)
    if role is None:
        raise Forbidden("this token is not valid for this event")
    raise Forbidden(f"a {role} token may not do that")
