"""A page of the staff list, served from the indexes, is the page a full scan would give."""

from __future__ import annotations

import itertools
from pathlib import Path

from liveevent.domain.applications import Application, ApplyRequest, Status
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.connect import StoreConnection
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.events import EventStore
from liveevent.store.opening import connect

EVENT = "pages"
JOBS = ["j0", "j1", "j2"]


async def filled(conn: StoreConnection, count: int) -> ApplicationLog:
    """``count`` applications over three jobs, with statuses in runs and scattered."""
    events, log = EventStore(conn), ApplicationLog(conn)
    await events.create_event(LiveEvent.parse({"title": "t"}, event_id=EVENT, now=0), {})
    await events.upsert_jobs(EVENT, [Job(id=j, employer="e", title="t", openings=1) for j in JOBS])
    await events.set_state(EVENT, EventState.LIVE, now=1)
    batch = [
        PendingApply(
            EVENT,
            ApplyRequest.parse(
                {
                    "job_id": JOBS[n % 3 if n < count // 2 else n % 2],
                    "name": "n",
                    "phone": f"138{n:08d}",
                }
            ),
            "http",
            now=1_000_000 + 7_000 * n,
        )
        for n in range(count)
    ]
    for first in range(0, count, 100):
        await log.apply_batch(batch[first : first + 100])
    # A long run of changed applications (the "applied" search must jump it), scattered
    # ones, and ones moved on or back again.
    moves = [(str(i), Status.CONTACTED) for i in range(40, 260)]
    moves += [(str(i), Status.HIRED) for i in range(3, count, 17)]
    moves += [(str(i), Status.REJECTED) for i in range(50, 120, 3)]
    moves += [(str(i), Status.APPLIED) for i in range(60, 90, 2)]
    moves += [(str(i), Status.INTERVIEWED) for i in range(count - 30, count + 1)]
    for app_id, target in moves:
        if int(app_id) > count:
            continue
        current = await log.status_of(EVENT, app_id)
        if current is not target:
            await log.change_status(EVENT, app_id, target, by="staff", now=5)
    return log


async def everything(log: ApplicationLog) -> list[tuple[Application, Status]]:
    return [row async for page in log.iterate(EVENT, page=97) for row in page]


async def test_every_filter_and_offset_gives_the_page_of_a_full_scan(
    conn: StoreConnection,
) -> None:
    count = 400
    log = await filled(conn, count)
    rows = await everything(log)
    assert len(rows) == count
    for job, status in itertools.product([None, *JOBS, "nojob"], [None, *Status]):
        matching = [
            (a.application_id, s)
            for a, s in rows
            if (job is None or a.job_id == job) and (status is None or s is status)
        ]
        if status in (Status.APPLIED, Status.CONTACTED) and job in (None, "j1"):
            assert len(matching) > 50, (job, status)  # the case is not empty by accident
        n = len(matching)
        for offset, limit in itertools.product(
            sorted({0, 1, 7, 39, 45, n // 2, max(0, n - 3), n, n + 5}), [1, 5, 50]
        ):
            total, page = await log.page(
                EVENT, offset=offset, limit=limit, job_id=job, status=status
            )
            assert total == n, (job, status)
            got = [(a.application_id, s) for a, s in page]
            assert got == matching[offset : offset + limit], (job, status, offset, limit)
    # The records themselves come back whole.
    _, page = await log.page(EVENT, offset=10, limit=3)
    assert [a for a, _ in page] == [a for a, _ in rows[10:13]]


async def test_a_phone_finds_its_applications_in_every_job(conn: StoreConnection) -> None:
    log = await filled(conn, 60)
    rows = await everything(log)
    events = EventStore(conn)
    # The same phone applying to other jobs too.
    again = [
        PendingApply(
            EVENT,
            ApplyRequest.parse({"job_id": j, "name": "n", "phone": "13800000004"}),
            "http",
            now=9,
        )
        for j in ("j0", "j2")
    ]
    applied = await log.apply_batch(again)
    job_ids = [job.id for job in await events.jobs(EVENT)]
    total, page = await log.page(EVENT, offset=0, limit=10, phone="13800000004", job_ids=job_ids)
    first = next(a for a, _ in rows if a.phone == "13800000004")
    ids = [first.application_id, *(getattr(a, "application_id", "") for a in applied)]
    assert total == len([i for i in ids if i]) and [a.application_id for a, _ in page] == sorted(
        {i for i in ids if i}, key=int
    )
    total, page = await log.page(
        EVENT, offset=0, limit=10, phone="13800000004", job_ids=job_ids, job_id="j2"
    )
    assert [a.job_id for a, _ in page] == ["j2"] * total and total >= 1
    total, page = await log.page(EVENT, offset=0, limit=10, phone="13999999999", job_ids=job_ids)
    assert (total, page) == (0, [])


async def test_pages_cost_the_same_few_store_steps_whatever_the_number(tmp_path: Path) -> None:
    """The first and the last page of "applied" (most applications, no index of their own)
    find where they start in a step or two of one ZCOUNT per status set, not in a binary
    search whose steps grow with the number of applications (``LIST_PAGE``'s ``find``); the
    unfiltered page reads its rows in one XRANGE.

    A store of its own: ``INFO commandstats`` must count this test's commands only.
    """
    store = EmbeddedStore(tmp_path)
    conn = await connect(
        await store.start(), key_prefix="steps", timeout_s=5.0, waitaof_timeout_ms=1000
    )
    try:
        count = 6000
        events, log = EventStore(conn), ApplicationLog(conn)
        await events.create_event(LiveEvent.parse({"title": "t"}, event_id=EVENT, now=0), {})
        jobs = [Job(id=j, employer="e", title="t", openings=1) for j in JOBS]
        await events.upsert_jobs(EVENT, jobs)
        await events.set_state(EVENT, EventState.LIVE, now=1)
        for first in range(0, count, 1000):
            batch = [
                PendingApply(
                    EVENT,
                    ApplyRequest.parse(
                        {"job_id": JOBS[n % 3], "name": "n", "phone": f"138{n:08d}"}
                    ),
                    "http",
                    now=1_000_000 + n,
                )
                for n in range(first, first + 1000)
            ]
            await log.apply_batch(batch)
        # 5% contacted and 1% hired, scattered, as at a fair
        contacted = [str(i) for i in range(1, count + 1) if (i * 7) % 20 == 3]
        hired = [str(i) for i in range(1, count + 1) if (i * 13) % 100 == 11]
        await log.change_status_many(EVENT, contacted, Status.CONTACTED, by="staff", now=2)
        await log.change_status_many(EVENT, hired, Status.HIRED, by="staff", now=2)
        others = len(Status) - 1  # one ZCOUNT per status set, for each step
        client = conn.reader
        for job in (None, "j1"):
            total, _ = await log.page(EVENT, offset=0, limit=0, job_id=job, status=Status.APPLIED)
            for offset in (0, total - 50):
                await client.config_resetstat()
                _, page = await log.page(
                    EVENT, offset=offset, limit=50, job_id=job, status=Status.APPLIED
                )
                stats = await client.info("commandstats")
                assert len(page) == 50 and all(s is Status.APPLIED for _, s in page)
                counts = int(stats.get("cmdstat_zcount", {}).get("calls", 0))
                # A binary search over 6,000 (or 2,000) positions takes 11 to 13 steps.
                assert counts <= 3 * others, (job, offset, counts)
        # The unfiltered page is one run of the stream: one XRANGE, not one per row.
        await client.config_resetstat()
        _, page = await log.page(EVENT, offset=count - 60, limit=50)
        stats = await client.info("commandstats")
        assert [a.application_id for a, _ in page] == [str(i) for i in range(count - 59, count - 9)]
        assert int(stats["cmdstat_xrange"]["calls"]) == 1
    finally:
        await conn.close()
        await store.stop()
