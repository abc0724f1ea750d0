"""The event store against a real store: what a token may do, and for how long that is known."""

from __future__ import annotations

from collections.abc import Awaitable

from liveevent.domain.events import LiveEvent
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore, token_digest
from tests.support import eventually


async def _is_none(role: Awaitable[str | None]) -> bool:
    return await role is None


async def test_a_confirmed_role_is_remembered_briefly_and_a_refusal_not_at_all(
    conn: StoreConnection,
) -> None:
    events = EventStore(conn, role_memory_s=0.3)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h-1", "staff": "s-1"})
    roles = ("host", "staff", "overlay")
    assert await events.check_token("e1", roles, "h-1") == "host"
    assert await events.check_token("e1", roles, "nope") is None
    # The stored digests change behind its back (as a rotation would): within the memory the
    # confirmed role still holds; a token refused before is looked up again, and now passes.
    meta = conn.keys.event("e1").meta
    await conn.reader.hset(
        meta, mapping={"tok:host": token_digest("h-2"), "tok:overlay": token_digest("nope")}
    )
    assert await events.check_token("e1", roles, "h-1") == "host"
    assert await events.check_token("e1", roles, "nope") == "overlay"
    # Once the memory (0.3 s) has passed, the old token is looked up again, and refused.
    assert await eventually(lambda: _is_none(events.check_token("e1", roles, "h-1")), 1.0)
    assert await events.check_token("e1", roles, "h-2") == "host"
    # Another event with the same token is its own question.
    await events.create_event(LiveEvent("e2", "t", None, None, 0), {"host": "x"})
    assert await events.check_token("e2", roles, "h-2") is None
