"""The outbox and the sign-ups in a real store: a key is scheduled once whatever happens to
it, concurrent movers queue each notice once, cancel and forget; sign-ups dedupe by phone,
answer a retried attempt as its first run, and their index is rebuilt from the stream."""

from __future__ import annotations

import asyncio

from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.notices import Notice, NoticeKind
from liveevent.domain.signups import SignupRequest
from liveevent.store import codec
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.outbox import GROUP, Outbox
from liveevent.store.rebuild import rebuild
from liveevent.store.signups import SignupLog


def notices_of(event_id: str, count: int, *, due_at: int = 0, prefix: str = "rem") -> list[Notice]:
    return [
        Notice(f"{prefix}:{event_id}:{i}:1d", event_id, NoticeKind.REMINDER, "1", {}, due_at, 0)
        for i in range(count)
    ]


async def test_concurrent_movers_queue_each_notice_once(conn: StoreConnection) -> None:
    outbox = Outbox(conn)
    await outbox.ensure_group()
    assert await outbox.enqueue(notices_of("e1", 1000)) == 1000
    moved = await asyncio.gather(*(outbox.move_due(10, limit=100) for _ in range(30)))
    assert sum(moved) == 1000
    assert await conn.reader.xlen(conn.keys.outbox.queue) == 1000
    entries = await outbox.read("c1", count=2000, block_ms=10)
    assert len({key for _, key in entries}) == 1000 == len(entries)


async def test_a_key_is_scheduled_once_whatever_state_it_reached(conn: StoreConnection) -> None:
    outbox = Outbox(conn)
    await outbox.ensure_group()
    batch = notices_of("e1", 3)
    await outbox.enqueue(batch)
    await outbox.move_due(10)
    entries = await outbox.read("c1", count=10, block_ms=10)
    await outbox.complete_many(entries[:1])
    await outbox.kill(entries[1][0], batch[1].failed("HTTP 400"), now=5)
    assert await outbox.enqueue(batch) == 0  # sent, dead and queued: all left alone
    counts = await outbox.counts("e1")
    assert (counts["sent"], counts["dead"], counts["queued"]) == (1, 1, 1)
    assert await conn.reader.hget(conn.keys.outbox.notices, batch[0].key) is None  # no data
    pending = await conn.reader.xpending(conn.keys.outbox.queue, GROUP)
    assert pending["pending"] == 1
    # A retry of the third, after it was sent by a sender that took it over, does nothing.
    await outbox.complete(entries[2][0], batch[2].key)
    assert not await outbox.retry(entries[2][0], batch[2].failed("x"), due_at=0)
    assert (await outbox.counts("e1"))["sent"] == 2


async def test_cancel_and_forget(conn: StoreConnection) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(notices_of("e1", 4) + notices_of("e1", 2, prefix="live"))
    assert await outbox.cancel("e1", "rem:e1:") == 4
    assert await outbox.cancel("e1", "rem:e1:") == 0
    assert await outbox.pending() == 2
    assert await outbox.forget("e1") == 2
    assert await outbox.pending() == 0
    assert await conn.reader.hlen(conn.keys.outbox.notices) == 0


async def test_sign_ups_dedupe_by_phone_and_rebuild(conn: StoreConnection) -> None:
    events = EventStore(conn)
    event = LiveEvent("ev1", "招聘会", None, None, 0)
    await events.create_event(event, {"host": "h", "staff": "s"})
    log = SignupLog(conn)
    req = SignupRequest.parse({"name": "李秀英", "phone": "13811112222", "consent": True})
    assert await log.add("ev1", req, signup_id="a1", now=1) == ("a1", False)
    again = SignupRequest.parse({"name": "李", "phone": "+8613811112222", "consent": True})
    assert await log.add("ev1", again, signup_id="a2", now=2) == ("a1", True)
    k = conn.keys.event("ev1")
    before = {
        codec.text(f): codec.text(v) for f, v in (await conn.reader.hgetall(k.signup_index)).items()
    }
    await conn.reader.delete(k.signup_index)
    await rebuild(conn, "ev1")
    after = {
        codec.text(f): codec.text(v) for f, v in (await conn.reader.hgetall(k.signup_index)).items()
    }
    assert set(after) == set(before) and after["i:a1"] == "1"
    assert await log.add("ev1", again, signup_id="a3", now=3) == ("a1", True)
    await events.set_state("ev1", EventState.LIVE, now=4)
    assert await log.mark_watched("ev1", "a1") is True
    assert await log.count("ev1") == 1


async def test_a_retried_notice_waits_scheduled_with_its_attempts_and_a_killed_one_is_dead(
    conn: StoreConnection,
) -> None:
    # The states a retry and a kill leave, read while the retried notice waits for its due
    # time (the queue mover takes whatever is due, so only the state tells them apart).
    outbox = Outbox(conn)
    await outbox.ensure_group()
    batch = notices_of("e7", 2)
    await outbox.enqueue(batch)
    await outbox.move_due(10)
    entries = await outbox.read("c1", count=10, block_ms=10)
    retried = batch[0].failed("HTTP 503")
    assert await outbox.retry(entries[0][0], retried, due_at=10_000)
    assert await outbox.kill(entries[1][0], batch[1].failed("HTTP 400"), now=20)
    counts = await outbox.counts("e7")
    assert (counts["scheduled"], counts["queued"], counts["dead"]) == (1, 0, 1)
    stored = codec.unpack(await conn.reader.hget(conn.keys.outbox.notices, batch[0].key))
    assert Notice.from_record(stored).attempts == retried.attempts
    assert await conn.reader.zscore(conn.keys.outbox.due, batch[0].key) == 10_000
    assert (await conn.reader.xpending(conn.keys.outbox.queue, GROUP))["pending"] == 0
