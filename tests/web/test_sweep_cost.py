"""The reminder sweep's cost (review r4): it runs every minute in every process over every
sign-up of every scheduled event, so it must make a page of sign-ups' reminders in a few store
calls, not two calls per sign-up. A real server and store; the outbox's calls are counted."""

from __future__ import annotations

from typing import Any

from liveevent.domain.signups import SignupRequest
from liveevent.web.appkeys import OUTBOX, SIGNUPS
from liveevent.web.signups import sweep
from tests.support import LiveServer
from tests.web.test_signups import in_days, scheduled_event


async def test_the_sweep_makes_and_moves_reminders_a_page_at_a_time(server: LiveServer) -> None:
    event = await scheduled_event(server, starts_at=in_days(2))
    log, outbox = server.app[SIGNUPS], server.app[OUTBOX]
    for i in range(1200):
        req = SignupRequest.parse({"name": "李秀英", "phone": f"138{i:08d}", "consent": True})
        await log.add(event.id, req, signup_id=f"s{i:07d}", now=1)
    calls: list[str] = []
    for name in ("enqueue", "reschedule"):
        real = getattr(outbox, name)

        async def counted(*args: Any, _real: Any = real, _name: str = name) -> int:
            calls.append(_name)
            return int(await _real(*args))

        setattr(outbox, name, counted)
    try:
        assert await sweep(server.app) == 2400  # 1d and 30m for each (made by the sweep)
        assert len(calls) <= 2 * 3, len(calls)  # a page of 500 sign-ups per call pair
        calls.clear()
        assert await sweep(server.app) == 0  # nothing twice
        assert len(calls) <= 2 * 3, len(calls)
    finally:
        for name in ("enqueue", "reschedule"):
            delattr(outbox, name)
    counts = await outbox.counts(event.id)
    assert counts["scheduled"] == 2400, counts
