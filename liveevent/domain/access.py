"""Who holds access to an event: roles and named grants.

Theory of operation: an event is created with one token per built-in role (``host``,
``staff``, ``overlay``). Staff can then hand out *named grants*: a token that carries a role,
the name of whoever holds it, and for some roles a scope. Several hosts (one per studio) each
hold a ``host`` grant with their name, so that every push records who did it; an employer holds
an ``employer`` grant scoped to its employer name, and sees only its own jobs and applicants; a
venue's station holds a ``station`` grant scoped to the venue id. The store keeps only a
token's SHA-256 (``store.events.token_digest``); the token itself is shown once, when made.

``admin`` (from settings) may do everything. Which role may call which endpoint is decided by
each handler (``web.auth.require_caller``); this module holds only the values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.errors import InvalidInput


class Role(enum.StrEnum):
    """A role on an event; the value is the wire and store text.

    ``Role(text)`` raises ``ValueError`` for any other text.
    """

    ADMIN = "admin"
    HOST = "host"
    STAFF = "staff"
    OVERLAY = "overlay"
    EMPLOYER = "employer"
    STATION = "station"


# The roles whose tokens are made with the event (one each, field ``tok:<role>`` of the meta).
EVENT_ROLES: tuple[Role, ...] = (Role.HOST, Role.STAFF, Role.OVERLAY)
# The roles a named grant may carry (``POST`` by staff; admin is never granted).
GRANT_ROLES: frozenset[Role] = frozenset({Role.HOST, Role.STAFF, Role.EMPLOYER, Role.STATION})
MAX_GRANT_NAME = 50


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token allows: its ``role``, the ``name`` of its holder (shown in audit entries
    and in "pushed by"), and its ``scope``: the employer's name for ``employer``, the venue id
    for ``station``, None otherwise. ``created_at`` is Unix ms (0 for the built-in tokens).

    The constructor checks nothing and raises nothing; ``parse`` validates a request.
    """

    role: Role
    name: str
    scope: str | None = None
    created_at: int = 0

    @classmethod
    def parse(cls, data: object, *, role: Role, now: int) -> Grant:
        """A grant request ``{"name": ..., "scope"?: ...}`` for ``role``.

        ``name`` 1-``MAX_GRANT_NAME`` characters on one line; ``scope`` up to 100, required for
        ``employer`` and ``station``. Raises ``InvalidInput`` naming the bad field.
        """
        body = values.only_fields(data, frozenset({"name", "scope"}), what="body")
        parsed = values.check_all(
            {
                "name": lambda: values.one_line(
                    "name", values.text(body, "name", max_len=MAX_GRANT_NAME)
                ),
                "scope": lambda: values.optional_text(body, "scope", max_len=100),
            },
            what="grant",
        )
        if role in (Role.EMPLOYER, Role.STATION) and parsed["scope"] is None:
            raise InvalidInput(
                f"scope is required for a {role} grant", fields={"scope": "required"}
            )
        return cls(role=role, name=parsed["name"], scope=parsed["scope"], created_at=now)

    @classmethod
    def built_in(cls, role: Role) -> Grant:
        """The grant of an event's own ``role`` token (or admin's): named after the role.
        Raises nothing."""
        return cls(role=role, name=str(role))

    def to_record(self) -> dict[str, Any]:
        """The stored form (also the wire form: it holds no secret). Raises nothing."""
        return {
            "role": str(self.role),
            "name": self.name,
            "scope": self.scope,
            "created_at": self.created_at,
        }

    to_wire = to_record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Grant:
        """The inverse of ``to_record``. Raises ``KeyError`` or ``ValueError`` for a record
        without a known role or a name."""
        return cls(
            role=Role(record["role"]),
            name=record["name"],
            scope=record.get("scope"),
            created_at=record.get("created_at", 0),
        )
