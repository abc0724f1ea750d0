"""Positions remaining in the store: a hire count change is one timeline entry (issue 16).

The status scripts append an ``openings`` entry (``cards.openings_record``) in the step that
moves a job's hire count, and move the event's cursor to it, so the fan-out delivers it like a
card push. A change that moves no hire count appends nothing.
"""

from __future__ import annotations

from typing import Any

from liveevent.domain.applications import ApplyRequest, Status
from liveevent.domain.cards import openings_record, timeline_message
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.rebuild import derive


async def _event(conn: StoreConnection, applicants: int) -> tuple[EventStore, ApplicationLog]:
    events, log = EventStore(conn), ApplicationLog(conn)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e1", [Job("j1", "A", "B", 2), Job("j2", "C", "D", 5)])
    await events.set_state("e1", EventState.LIVE, now=1)
    batch = [
        PendingApply(
            "e1",
            ApplyRequest(
                job_id="j1" if n % 2 else "j2",
                name="n",
                phone=f"1380000{n:04d}",
                idempotency_key=None,
                consent=True,
            ),
            "http",
            n,
        )
        for n in range(1, applicants + 1)
    ]
    await log.apply_batch(batch)  # ids 1..n: odd ones for j1, even ones for j2
    return events, log


async def _openings(events: EventStore) -> list[tuple[str, dict[str, Any]]]:
    entries = await events.timeline_entries("e1", "0-0")
    return [(sid, r) for sid, r in entries if r is not None and r["kind"] == "openings"]


async def test_a_hire_appends_one_entry_and_moves_the_cursor(conn: StoreConnection) -> None:
    events, log = await _event(conn, 4)
    await log.change_status("e1", "1", Status.CONTACTED, by="staff", now=10)
    assert await _openings(events) == []  # no hire count moved
    await log.change_status("e1", "1", Status.HIRED, by="staff", now=20)
    [(sid, record)] = await _openings(events)
    assert record == openings_record("j1", 1, 20)
    assert (await events.event_view("e1")).cursor == sid
    assert timeline_message(record, sid) == {
        "type": "openings",
        "job_id": "j1",
        "hires": 1,
        "cursor": sid,
    }
    # Out of hired again (a declined offer): the count falls, and that is an entry too.
    await log.change_status("e1", "1", Status.REJECTED, by="staff", now=30)
    assert [r for _, r in await _openings(events)][-1] == openings_record("j1", 0, 30)
    # Between two statuses that are not hired: nothing.
    await log.change_status("e1", "1", Status.CONTACTED, by="staff", now=40)
    assert len(await _openings(events)) == 2
    assert await events.job_hires("e1", ["j1", "j2", "nope"]) == {"j1": 0, "j2": 0, "nope": 0}


async def test_a_bulk_change_appends_one_entry_per_job_whose_count_moved(
    conn: StoreConnection,
) -> None:
    events, log = await _event(conn, 6)
    changed, _ = await log.change_status_many(
        "e1", ["1", "2", "3", "4"], Status.HIRED, by="staff", now=50
    )
    assert changed == ["1", "2", "3", "4"]
    records = [r for _, r in await _openings(events)]
    assert records == [openings_record("j1", 2, 50), openings_record("j2", 2, 50)]
    # The same again: nothing changes, nothing is appended.
    await log.change_status_many("e1", ["1", "2"], Status.HIRED, by="staff", now=60)
    assert len(await _openings(events)) == 2
    # Two of j1 out of hired, none of j2: one entry, for j1 only.
    await log.change_status_many("e1", ["1", "3", "5"], Status.OFFERED, by="staff", now=70)
    assert [r for _, r in await _openings(events)][-1] == openings_record("j1", 0, 70)
    assert len(await _openings(events)) == 3
    assert await events.job_hires("e1", ["j1", "j2"]) == {"j1": 0, "j2": 2}


async def test_readers_of_the_timeline_take_openings_entries_in_their_stride(
    conn: StoreConnection,
) -> None:
    """Cards read back, the pushes, the rebuilt meta: an openings entry is none of them."""
    events, log = await _event(conn, 2)
    await events.push_card("e1", "j1", card_id="c1", pushed_at=100, pushed_by="宁波演播室")
    await log.change_status("e1", "1", Status.HIRED, by="staff", now=110)
    [card] = await events.pushed_cards("e1")
    assert (card.card_id, card.pushed_by) == ("c1", "宁波演播室")
    view = await events.event_view("e1")
    assert view.card is not None and view.card.card_id == "c1"  # still on screen
    derived = await derive(conn, "e1")
    assert derived.meta["card_id"] == "c1" and derived.meta["cursor"] == view.cursor
