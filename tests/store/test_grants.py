"""Named grants against a real store: several hosts, employers and stations on one event."""

from __future__ import annotations

import pytest

from liveevent.domain.access import Grant, Role
from liveevent.domain.events import LiveEvent
from liveevent.errors import InvalidInput, NotFound
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore


async def test_each_grant_opens_its_own_role_and_scope_and_nothing_else(
    conn: StoreConnection,
) -> None:
    events = EventStore(conn)
    await events.create_event(LiveEvent("g1", "t", None, None, 0), {"host": "h", "staff": "s"})
    hz = await events.add_grant("g1", Grant(Role.HOST, "杭州演播室", created_at=1))
    nb = await events.add_grant("g1", Grant(Role.HOST, "宁波演播室", created_at=2))
    acme = await events.add_grant("g1", Grant(Role.EMPLOYER, "Acme", "宁波港集团", 3))
    assert len({hz, nb, acme}) == 3
    host_roles = ("host", "staff")
    assert await events.grant_of("g1", host_roles, hz) == Grant(Role.HOST, "杭州演播室", None, 1)
    assert (await events.grant_of("g1", host_roles, nb)).name == "宁波演播室"  # type: ignore[union-attr]
    # The event's own host token reads as a grant named after its role.
    assert await events.grant_of("g1", host_roles, "h") == Grant.built_in(Role.HOST)
    # An employer token is not a host token, and the reverse.
    assert await events.grant_of("g1", host_roles, acme) is None
    assert await events.grant_of("g1", ("employer",), hz) is None
    assert (await events.grant_of("g1", ("employer",), acme)).scope == "宁波港集团"  # type: ignore[union-attr]
    # Another event with the same token is its own question.
    await events.create_event(LiveEvent("g2", "t", None, None, 0), {"host": "x"})
    assert await events.grant_of("g2", host_roles, hz) is None
    # Listing gives names and scopes, never tokens, oldest first.
    listed = await events.grants("g1")
    assert [g.name for g in listed] == ["杭州演播室", "宁波演播室", "Acme"]
    assert all(hz not in repr(g) for g in listed)
    with pytest.raises(NotFound):
        await events.add_grant("nope", Grant(Role.HOST, "x"))


@pytest.mark.parametrize(
    ("body", "role", "field"),
    [
        ({}, Role.HOST, "name"),
        ({"name": ""}, Role.HOST, "name"),
        ({"name": "x" * 51}, Role.HOST, "name"),
        ({"name": "Acme"}, Role.EMPLOYER, "scope"),
        ({"name": "Hall 1"}, Role.STATION, "scope"),
        ({"name": "a", "token": "x"}, Role.HOST, "token"),
        ([], Role.HOST, "body"),
    ],
)
def test_a_bad_grant_request_names_its_field(body: object, role: Role, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Grant.parse(body, role=role, now=0)
    assert field in caught.value.fields
