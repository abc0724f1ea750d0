"""Employers' figures and applicants against a real store (the indexes, not the stream)."""

from __future__ import annotations

from liveevent.domain.applications import ApplyRequest, Status
from liveevent.domain.consent import CURRENT_VERSION
from liveevent.domain.events import LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store import codec
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.connect import StoreConnection
from liveevent.store.employers import EmployerBook
from liveevent.store.events import EventStore


async def _fill(conn: StoreConnection) -> ApplicationLog:
    events = EventStore(conn)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e1", [Job("a", "甲", "x"), Job("b", "甲", "y"), Job("c", "乙", "z")])
    log = ApplicationLog(conn)
    # ids 1..9: a, b, c in turn; the first one with the consent fields.
    batch = [
        PendingApply(
            "e1",
            ApplyRequest(
                job_id="abc"[n % 3],
                name=f"n{n}",
                phone=f"1380000{n:04d}",
                idempotency_key=None,
                consent=True,
                consent_version=CURRENT_VERSION if n == 0 else None,
                consent_to="甲" if n == 0 else None,
            ),
            "http",
            1000 + n,
        )
        for n in range(9)
    ]
    assert [r.application_id for r in await log.apply_batch(batch)] == [  # type: ignore[union-attr]
        str(n) for n in range(1, 10)
    ]
    return log


async def test_newest_merges_the_jobs_lists_newest_first_and_pages(conn: StoreConnection) -> None:
    log = await _fill(conn)
    book = EmployerBook(conn, log)
    total, rows = await book.newest("e1", ["a", "b"], offset=0, limit=10)
    assert total == 6
    assert [a.application_id for a, _ in rows] == ["8", "7", "5", "4", "2", "1"]
    # The consent fields come back with the application (only where they were sent).
    first = rows[-1][0]
    assert (first.consent_version, first.consent_to) == (CURRENT_VERSION, "甲")
    assert rows[0][0].consent_version is None
    total, rows = await book.newest("e1", ["a", "b"], offset=2, limit=3)
    assert [a.application_id for a, _ in rows] == ["5", "4", "2"]
    assert await book.newest("e1", [], offset=0, limit=5) == (0, [])


async def test_figures_and_reports_follow_status_changes(conn: StoreConnection) -> None:
    log = await _fill(conn)
    book = EmployerBook(conn, log)
    figures = await book.figures("e1", ["a", "b", "c"])
    assert figures["a"].applications == 3 and figures["a"].by_status == {}
    assert figures["a"].last_report_at is None
    await log.change_status("e1", "1", Status.INTENT, by="甲", now=5000, role="employer")
    await log.change_status("e1", "4", Status.NO_SHOW, by="staff", now=6000)
    changed, _ = await log.change_status_many(
        "e1", ["2", "3"], Status.HIRED, by="甲", now=7000, role="employer"
    )
    assert changed == ["2", "3"]
    figures = await book.figures("e1", ["a", "b", "c"])
    assert figures["a"].by_status == {Status.INTENT: 1, Status.NO_SHOW: 1}
    assert figures["b"].by_status == {Status.HIRED: 1}
    assert (figures["a"].last_report_at, figures["b"].last_report_at) == (6000, 7000)
    assert figures["c"].last_report_at == 7000
    # The status stream says who and in which role.
    entries = await conn.reader.xrange(conn.keys.event("e1").status)
    records = [codec.unpack(fields[b"d"]) for _, fields in entries]
    assert [(r["by"], r.get("role"), r["to"]) for r in records] == [
        ("甲", "employer", "intent"),
        ("staff", None, "no_show"),
        ("甲", "employer", "hired"),
        ("甲", "employer", "hired"),
    ]
    assert await log.job_of("e1", "5") == "b"


async def test_records_keep_the_contact_unless_a_new_one_is_given(conn: StoreConnection) -> None:
    log = await _fill(conn)
    book = EmployerBook(conn, log)
    await book.save("e1", "甲", name="甲", contact="0571-1", now=1)
    await book.save("e1", "甲", name="甲", contact=None, now=2)
    assert (await book.records("e1"))["甲"]["contact"] == "0571-1"
    await book.save("e1", "甲", name="甲", contact="0571-2", now=3)
    assert (await book.records("e1"))["甲"]["contact"] == "0571-2"
