"""One ``stats`` computation per event per tick on this node, shared by every host and staff
socket of the event (``web/host.py``).

Each open console used to recompute the event's figures (``api.event_stats``: a dozen store
reads, more with venues and cities) every second on its own, so twenty staff pages cost twenty
times the store reads of one (issue 15). Now the first socket of an event starts a ticker that
computes the figures every ``interval_s`` and encodes the ``stats`` message once; every socket
of the event takes that same text, and the ticker stops when the last socket leaves. A socket
that joins gets the latest message at once (at most ``interval_s`` old); each socket sends on
its own, so a slow console never holds the others or the ticker back.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from liveevent.errors import LiveEventError
from liveevent.web.background import cancel_and_wait

log = logging.getLogger(__name__)


class _Feed:
    """The ticker of one event: the latest encoded message, its tick number, its sockets."""

    def __init__(self) -> None:
        self.latest: str | None = None
        self.tick = 0
        self.members = 0
        self.changed = asyncio.Condition()
        self.task: asyncio.Task[None] | None = None


def _newer(feed: _Feed, seen: int) -> bool:
    return feed.tick > seen


class StatsFeed:
    """The shared ``stats`` tickers of one node, one per event with a console open.

    ``compute(event_id)`` returns the figures (``api.event_stats``); it may raise
    ``LiveEventError`` (the store down, the event gone), and that tick then carries None.
    ``interval_s``: seconds between computations. Constructing it starts nothing and raises
    nothing; tickers start with the first ``messages`` of an event.
    """

    def __init__(
        self,
        compute: Callable[[str], Awaitable[dict[str, Any]]],
        *,
        interval_s: float = 1.0,
    ) -> None:
        self._compute = compute
        self.interval_s = interval_s
        self._feeds: dict[str, _Feed] = {}
        self.computations = 0  # how many times the figures were computed (all events)

    def consoles(self, event_id: str) -> int:
        """How many sockets of ``event_id`` share its ticker now. Raises nothing."""
        feed = self._feeds.get(event_id)
        return feed.members if feed is not None else 0

    async def messages(self, event_id: str) -> AsyncIterator[str | None]:
        """Yield the event's encoded ``{"type": "stats", ...}`` message (JSON text) once per
        tick, or None for a tick whose computation failed; the first at once if a tick has
        already run. Runs until the caller stops iterating (or is cancelled), which takes it
        off the ticker. Raises nothing of its own."""
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = _Feed()
            feed.task = asyncio.create_task(self._run(event_id, feed), name=f"stats:{event_id}")
        feed.members += 1
        seen = 0
        try:
            while True:
                async with feed.changed:
                    await feed.changed.wait_for(functools.partial(_newer, feed, seen))
                    seen, message = feed.tick, feed.latest
                yield message
        finally:
            feed.members -= 1
            if feed.members == 0 and self._feeds.get(event_id) is feed:
                del self._feeds[event_id]
                if feed.task is not None:
                    feed.task.cancel()

    async def _run(self, event_id: str, feed: _Feed) -> None:
        while True:
            self.computations += 1
            try:
                stats = await self._compute(event_id)
                message: str | None = json.dumps({"type": "stats", **stats})
            except LiveEventError:
                message = None
            except Exception:  # a bug must not end every console's figures silently
                log.exception("computing the stats of an event failed")
                message = None
            async with feed.changed:
                feed.latest, feed.tick = message, feed.tick + 1
                feed.changed.notify_all()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        """Stop every ticker (the app shuts down). Raises nothing."""
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            await cancel_and_wait(feed.task)
