"""Who may do what: bearer tokens and roles.

Roles: ``admin`` (global, from settings), and per event ``host``, ``staff`` and ``overlay``
(created with the event; only their SHA-256 is stored), plus named grants that staff hand out
(several hosts, employers, venue stations: ``domain.access``). Admin may do everything staff
and host may. Tokens are compared in constant time (or looked up by digest) and never logged.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from liveevent.domain.access import Grant, Role
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


async def require_caller(
    request: web.Request, event_id: str, roles: tuple[str, ...], token: str | None = None
) -> Grant:
    """What the caller may do on ``event_id``: its ``Grant`` (role, name, scope), if its role
    is among ``roles`` (or it is ``admin``, whose grant is named ``admin``).

    ``token`` defaults to the bearer token. A built-in role's token reads as a grant named
    after the role; a named grant (``EventStore.add_grant``) carries its holder's name and
    scope, which the handler must then apply (an employer sees only its own).
    Raises ``Unauthenticated`` without a token, ``NotFound`` for an unknown event and
    ``Forbidden`` for a token that holds none of ``roles`` here.
    """
    token = token if token is not None else bearer(request)
    if token is None:
        raise Unauthenticated("a token is required: Authorization: Bearer <token>")
    events = request.app[EVENTS]
    if is_admin(request, token):
        await events.event_view(event_id)  # 404 for an unknown event
        return Grant.built_in(Role.ADMIN)
    grant = await events.grant_of(event_id, roles, token)
    if grant is not None:
        return grant
    await events.event_view(event_id)
    # Which role the token does hold, to say so (it may not do this).
    other = await events.grant_of(event_id, tuple(Role), token)
    if other is None:
        raise Forbidden("this token is not valid for this event")
    raise Forbidden(f"a {other.role} token may not do that")


async def require_role(
    request: web.Request, event_id: str, roles: tuple[str, ...], token: str | None = None
) -> str:
    """The role the caller holds on ``event_id`` among ``roles`` (or ``admin``): the role of
    ``require_caller``'s grant, for handlers that need no name or scope.

    Raises what ``require_caller`` raises.
    """
    return str((await require_caller(request, event_id, roles, token)).role)
