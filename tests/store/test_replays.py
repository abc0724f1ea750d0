"""An event's recording and its cues against a real store (``store/replays.py``)."""

from __future__ import annotations

import pytest

from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import parse_jobs
from liveevent.domain.replays import Replay
from liveevent.errors import Conflict, NotFound
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.replays import ReplayStore
from tests.support import JOBS

T0 = 1_780_000_000_000
REPLAY = Replay("https://media.example.cn/r.m3u8", 3.0, 12.0, set_at=T0, set_by="王老师")


async def test_set_once_ended_and_cues_kept_once_final(conn: StoreConnection) -> None:
    events = EventStore(conn)
    replays = ReplayStore(conn, events)
    await events.create_event(LiveEvent("r1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("r1", parse_jobs(JOBS, ["x"] * len(JOBS)))
    with pytest.raises(NotFound):
        await replays.replay("nope")
    assert await replays.replay("r1") == (EventState.SCHEDULED, None)
    with pytest.raises(Conflict):
        await replays.set_replay("r1", REPLAY)

    await events.set_state("r1", EventState.LIVE, now=T0)
    await events.push_card("r1", "j1", card_id="c1", pushed_at=T0 + 5_000)
    with pytest.raises(Conflict):  # still live: no recording yet
        await replays.set_replay("r1", REPLAY)
    live_cues = await replays.cues("r1")
    assert [(c.card.card_id, c.at_ms, c.until_ms) for c in live_cues] == [("c1", 5_000, None)]
    await events.push_card("r1", "j2", card_id="c2", pushed_at=T0 + 9_000)
    await events.set_state("r1", EventState.ENDED, now=T0 + 20_000)

    await replays.set_replay("r1", REPLAY)
    await replays.set_replay("r1", REPLAY)  # again: the same (naturally idempotent)
    assert await replays.replay("r1") == (EventState.ENDED, REPLAY)
    # Read while live, the cues were not kept: now they are complete, and kept.
    cues = await replays.cues("r1")
    assert [(c.card.card_id, c.at_ms, c.until_ms) for c in cues] == [
        ("c1", 5_000, 9_000),
        ("c2", 9_000, 20_000),
    ]
    assert await replays.cues("r1") is cues
    await replays.clear_replay("r1")
    await replays.clear_replay("r1")
    assert await replays.replay("r1") == (EventState.ENDED, None)
