"""The application log against a real store: atomic dedupe, safe retries, durability mode."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from liveevent.domain.applications import ApplyRequest, Status
from liveevent.domain.events import LiveEvent
from liveevent.domain.jobs import Job
from liveevent.errors import Conflict, CorruptEntry, NotFound, RateLimited
from liveevent.store import codec
from liveevent.store.applications import CALL_MAX, ApplicationLog, Applied, PendingApply
from liveevent.store.connect import Durability, StoreConnection
from liveevent.store.events import EventStore


async def _event(conn: StoreConnection) -> str:
    events = EventStore(conn)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e1", [Job("j1", "A", "B"), Job("j2", "C", "D")])
    return "e1"


def _request(phone: str, job: str = "j1", key: str | None = None) -> ApplyRequest:
    return ApplyRequest(job_id=job, name="n", phone=phone, idempotency_key=key, consent=True)


async def test_a_lost_reply_retried_gets_the_first_answer(conn: StoreConnection) -> None:
    log = ApplicationLog(conn)
    event = await _event(conn)
    item = PendingApply(event, _request("13800000001"), "http", 1)
    first = await log.apply_batch([item])
    # The same attempt sent again (its reply was lost): same id, not a duplicate.
    again = await log.apply_batch([item])
    assert first == again == [Applied("1", duplicate=False)]
    # Another attempt for the same job and phone: the same application, flagged duplicate.
    other = PendingApply(event, _request("13800000001"), "ws", 2)
    assert await log.apply_batch([other]) == [Applied("1", duplicate=True)]
    assert (await log.counters(event))["applications"] == 1


async def test_a_batch_answers_each_item(conn: StoreConnection) -> None:
    log = ApplicationLog(conn)
    event = await _event(conn)
    batch = [PendingApply(event, _request(f"1380000{n:04d}"), "ws", n) for n in range(50)]
    batch.append(PendingApply(event, _request("13900000000", job="nope"), "ws", 0))
    batch.append(PendingApply(event, _request("13800000000"), "ws", 0))  # dup inside batch
    results = await log.apply_batch(batch)
    assert all(isinstance(r, Applied) for r in results[:50])
    assert [r.application_id for r in results[:50] if isinstance(r, Applied)] == [
        str(n) for n in range(1, 51)
    ]
    assert isinstance(results[50], NotFound)
    assert results[51] == Applied("1", duplicate=True)
    pages = [page async for page in log.iterate(event, page=7)]
    assert [len(p) for p in pages] == [7] * 7 + [1]
    ids = [application.application_id for page in pages for application, _status in page]
    assert ids == [str(n) for n in range(1, 51)]


async def test_iterate_reads_statuses_and_whole_pages(conn: StoreConnection) -> None:
    log = ApplicationLog(conn)
    event = await _event(conn)
    batch = [PendingApply(event, _request(f"1380000{n:04d}"), "ws", n) for n in range(14)]
    await log.apply_batch(batch)
    await log.change_status(event, "3", Status.HIRED, by="staff", now=100)
    # Exactly two full pages: the last request finds nothing and the iteration ends.
    pages = [page async for page in log.iterate(event, page=7)]
    assert [len(p) for p in pages] == [7, 7]
    statuses = {a.application_id: s for page in pages for a, s in page}
    assert statuses["3"] is Status.HIRED and statuses["4"] is Status.APPLIED
    first = pages[0][0][0]
    assert (first.job_id, first.phone, first.via, first.applied_at) == (
        "j1",
        "13800000000",
        "ws",
        0,
    )


async def test_stopping_an_iteration_early_leaves_the_store_usable(conn: StoreConnection) -> None:
    # The next page was requested before the first was handed over: the connection that owes
    # its reply must not go back to the pool (the next command would read that reply).
    log = ApplicationLog(conn)
    event = await _event(conn)
    await log.apply_batch(
        [PendingApply(event, _request(f"1380000{n:04d}"), "ws", n) for n in range(20)]
    )
    for _ in range(70):  # more than the pool's connections
        pages = log.iterate(event, page=5)
        async for _page in pages:
            break
        assert isinstance(pages, AsyncGenerator)
        await pages.aclose()
    assert (await log.counters(event))["applications"] == 20


async def test_idempotency_key_returns_the_first_answer(conn: StoreConnection) -> None:
    log = ApplicationLog(conn)
    event = await _event(conn)
    a = await log.apply_batch([PendingApply(event, _request("13800000001", key="k"), "h", 1)])
    b = await log.apply_batch([PendingApply(event, _request("13800000001", key="k"), "h", 2)])
    assert a == b == [Applied("1", duplicate=False)]


async def test_durability_is_detected(conn: StoreConnection) -> None:
    # The embedded store has WAITAOF; the machine's Redis 7.0 without persistence has not.
    assert conn.durability in (Durability.WAITAOF, Durability.FSYNC_ALWAYS, Durability.NONE)
    info = await conn.reader.info("persistence")
    if int(info.get("aof_enabled", 0)) == 0:
        assert conn.durability is Durability.NONE


def test_codec_round_trip_and_corruption() -> None:
    record = {"name": "张三", "n": 1, "nested": {"a": [1, 2]}}
    assert codec.unpack(codec.pack(record)) == record
    for junk in (b"", b"\xc1", b"\x93\x01\x02\x03", b"\xa3abc"):
        with pytest.raises(CorruptEntry):
            codec.unpack(junk)
        with pytest.raises(CorruptEntry):
            codec.unpack_many([codec.pack(record), junk])
    assert codec.unpack_many([codec.pack(record), codec.pack({"b": 2})]) == [record, {"b": 2}]
    assert codec.unpack_many([]) == []


async def test_one_batch_behaves_as_if_its_applications_came_one_by_one(
    conn: StoreConnection,
) -> None:
    # The script takes a whole batch per event: the rate limit, the idempotency keys and the
    # dedupe must see the writes of the applications before them in the same batch.
    log = ApplicationLog(conn, apply_rate_per_ip=3, rate_window_s=60)
    event = await _event(conn)
    events = EventStore(conn)
    await events.create_event(LiveEvent("e2", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e2", [Job("j1", "A", "B")])
    batch = [
        PendingApply(event, _request("13800000001"), "ws", 1, ip="10.0.0.1"),
        PendingApply(event, _request("13800000002", key="k"), "ws", 2, ip="10.0.0.1"),
        PendingApply("e2", _request("13800000001"), "ws", 3, ip="10.0.0.1"),  # other event
        PendingApply(event, _request("13800000003", key="k"), "ws", 4, ip="10.0.0.2"),
        PendingApply(event, _request("13800000001"), "ws", 5, ip="10.0.0.1"),  # 3rd: dup
        PendingApply(event, _request("13800000004"), "ws", 6, ip="10.0.0.1"),  # 4th: limited
        PendingApply(event, _request("13800000005", job="j2"), "ws", 7),  # no address
    ]
    results = await log.apply_batch(batch)
    assert results[:5] == [
        Applied("1", duplicate=False),
        Applied("2", duplicate=False),
        Applied("1", duplicate=False),  # e2 has its own sequence
        Applied("2", duplicate=False),  # the idempotency key's first answer
        Applied("1", duplicate=True),
    ]
    assert isinstance(results[5], RateLimited)
    assert results[6] == Applied("3", duplicate=False)
    counters = await log.counters(event)
    assert (counters["applications"], counters["app:j1"], counters["app:j2"]) == (3, 2, 1)
    assert (counters["repeats"], counters["applicants"]) == (2, 3)
    rate_key = conn.keys.apply_rate(event, "10.0.0.1")
    assert int(await conn.reader.get(rate_key)) == 4  # every attempt counts, the refused one too
    assert 0 < await conn.reader.ttl(rate_key) <= 60
    # The next batch goes on from the stored state.
    again = await log.apply_batch([PendingApply(event, _request("13800000006"), "ws", 8)])
    assert again == [Applied("4", duplicate=False)]
    statuses = [a.application_id async for page in log.iterate(event) for a, _s in page]
    assert statuses == ["1", "2", "3", "4"]


async def test_a_batch_larger_than_one_call_is_answered_in_order(conn: StoreConnection) -> None:
    # A batch is sent as several APPLY calls (CALL_MAX applications each); a duplicate of an
    # application in an earlier call is still found.
    log = ApplicationLog(conn)
    event = await _event(conn)
    count = CALL_MAX * 2 + 5
    batch = [PendingApply(event, _request(f"1380000{n:04d}"), "ws", n) for n in range(count)]
    batch.append(PendingApply(event, _request("13800000001"), "ws", count))  # dup of the 2nd
    results = await log.apply_batch(batch)
    assert results[:count] == [Applied(str(n + 1), duplicate=False) for n in range(count)]
    assert results[count] == Applied("2", duplicate=True)
    assert (await log.counters(event))["applications"] == count


async def test_an_unknown_event_takes_nothing(conn: StoreConnection) -> None:
    log = ApplicationLog(conn, apply_rate_per_ip=5)
    results = await log.apply_batch(
        [PendingApply("nope", _request("13800000001"), "http", 1, ip="10.0.0.9")]
    )
    assert isinstance(results[0], NotFound)
    assert await conn.reader.exists(conn.keys.apply_rate("nope", "10.0.0.9")) == 0
    assert await conn.reader.keys(f"{conn.keys.prefix}:{{nope}}:*") == []


async def test_the_hire_count_follows_every_status_move(conn: StoreConnection) -> None:
    """Every move from every status (the STATUS script keeps ``hire:<job>``): the job's hire
    count is the number of its applications hired now; a move to the same status is refused
    and changes nothing."""
    log = ApplicationLog(conn)
    event = await _event(conn)
    pairs = [(a, b) for a in Status for b in Status if a is not b]
    batch = [PendingApply(event, _request(f"1390000{n:04d}"), "ws", n) for n in range(len(pairs))]
    applied = await log.apply_batch(batch)
    hired: set[str] = set()
    for (first, then), result in zip(pairs, applied, strict=True):
        assert isinstance(result, Applied)
        app_id, current = result.application_id, Status.APPLIED
        for target in (first, then):
            if target is current:
                with pytest.raises(Conflict):
                    await log.change_status(event, app_id, target, by="t", now=1)
            else:
                assert await log.change_status(event, app_id, target, by="t", now=1) == (
                    current,
                    target,
                )
            current = target
            (hired.add if target is Status.HIRED else hired.discard)(app_id)
            counters = await log.counters(event)
            assert counters.get("hire:j1", 0) == len(hired), (first, then)
            assert await log.status_of(event, app_id) is target
    with pytest.raises(Conflict):
        await log.change_status(event, app_id, then, by="t", now=1)
    assert (await log.counters(event)).get("hire:j1", 0) == len(hired)


async def test_a_page_carries_the_attribution_it_was_stored_with(conn: StoreConnection) -> None:
    log = ApplicationLog(conn)
    event = await _event(conn)
    body = {"job_id": "j1", "name": "王五", "phone": "13800138000"}
    plain = ApplyRequest.parse(body)
    attributed = ApplyRequest.parse(
        {**body, "phone": "13900139000", "city": "宁波", "channel": "dy", "venue": "v1"}
        | {"source": "station"}
    )
    await log.apply_batch(
        [PendingApply(event, plain, "http", 1), PendingApply(event, attributed, "http", 2)]
    )
    pages = [page async for page in log.iterate(event, page=7)]
    got = {a.phone: (a.city, a.channel, a.venue, a.source) for page in pages for a, _ in page}
    assert got == {
        "13800138000": (None, None, None, None),
        "13900139000": ("宁波", "dy", "v1", "station"),
    }
