"""Fan-out: each process tails every event's timeline it has viewers for, and delivers.

Theory of operation: a push is appended to the event's timeline stream by whichever process
took the host's call. Every process runs one ``Channel`` per event with local viewers; the
channel blocks on XREAD and, for each new entry, encodes the viewer message once and writes the
same frame bytes to every viewer's transport. Writing never waits: a viewer whose unsent
buffer passes ``write_buffer_limit_bytes`` is cut off (it reconnects and resumes from its
cursor), so one slow phone cannot delay the others. A viewer that is still catching up (its
hello or its missed entries are being read) collects live messages in ``pending`` and gets
them, without duplicates, once it has caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from liveevent.domain.cards import timeline_message
from liveevent.errors import LiveEventError
from liveevent.store.events import EventStore
from liveevent.web.frames import Outgoing, parse_cursor

log = logging.getLogger(__name__)


STOP_TIMEOUT_S = 5.0
PING_FRAME = b"\x89\x00"  # a websocket ping, final, no payload, unmasked (server to client)


class Viewer:
    """One viewer connection as the fan-out sees it."""

    __slots__ = (
        "applies",
        "binary",
        "closed",
        "counted",
        "cursor",
        "ip",
        "last_seen",
        "pending",
        "transport",
    )

    def __init__(
        self, transport: Any, *, binary: bool, ip: str, now: float, counted: bool = True
    ) -> None:
        self.transport = transport
        # False for a screen that is not a person (the OBS overlay, ``liveevent watch``): it
        # gets every message but is left out of the viewer count and the event's peak.
        self.counted = counted
        self.binary = binary
        self.ip = ip
        self.cursor: tuple[int, int] = (0, 0)
        self.pending: list[Outgoing] | None = []
        self.closed = False
        # Times of this viewer's recent applies (rate limit); made on the first apply, since
        # most viewers never apply and 19,500 empty lists are half a megabyte.
        self.applies: list[float] | None = None
        self.last_seen = now  # loop time of the last frame from this viewer (pongs included)

    def send(self, out: Outgoing, limit: int) -> bool:
        """Write ``out`` without waiting; False (and the connection cut) if the viewer lags."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        if out.cursor is not None:
            if out.cursor <= self.cursor:
                return True  # already covered by what this viewer was sent
            self.cursor = out.cursor
        self.transport.write(out.binary_frame() if self.binary else out.text_frame())
        if self.transport.get_write_buffer_size() > limit:
            self.drop()
            return False
        return True

    def drop(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class Channel:
    """The viewers of one event in this process, and the task that feeds them.

    ``joining`` viewers are still being sent their hello (and what they missed) and collect
    live messages meanwhile; ``live`` ones are in step and get each frame as it comes, in
    timeline order, so the hot loop needs no per-viewer bookkeeping.
    """

    def __init__(self, event_id: str, hub: Hub) -> None:
        self.event_id = event_id
        self.hub = hub
        self.live: set[Viewer] = set()
        self.joining: set[Viewer] = set()
        # The uncounted ones among live and joining (see Viewer.counted); kept apart so the
        # count stays a subtraction, not a walk over every viewer.
        self.uncounted: set[Viewer] = set()
        self.cursor = "0-0"
        self.ready = asyncio.Event()
        self.stopped = False
        self.task = asyncio.create_task(self._tail(), name=f"liveevent-tail-{event_id}")
        self.dropped = 0

    @property
    def sockets(self) -> int:
        """Every connection fed here, counted or not."""
        return len(self.live) + len(self.joining)

    @property
    def count(self) -> int:
        """Viewers: the connections that are people. (Never below 0: a viewer cut by the
        heartbeat or the fan-out leaves ``uncounted`` a moment later, in ``Hub.leave``.)"""
        return max(0, self.sockets - len(self.uncounted))

    def broadcast(self, out: Outgoing) -> None:
        """Write one message to every viewer; never waits, never encodes it twice."""
        for viewer in self.joining:
            if viewer.pending is not None:
                viewer.pending.append(out)
        limit = self.hub.write_buffer_limit
        text = out.text_frame()
        lagging: list[Viewer] = []
        # The hot loop: one write per viewer of bytes built once, and a look at how much is
        # still unsent. Nothing here awaits.
        for viewer in self.live:
            transport = viewer.transport
            transport.write(out.binary_frame() if viewer.binary else text)
            if transport.get_write_buffer_size() > limit:
                lagging.append(viewer)
        for viewer in lagging:
            viewer.drop()
            self.live.discard(viewer)
            self.dropped += 1

    async def _tail(self) -> None:
        store = self.hub.events
        while True:
            try:
                view = await store.event_view(self.event_id)
                self.cursor = view.cursor
                break
            except LiveEventError:
                await asyncio.sleep(0.5)
        self.ready.set()
        # ``stopped`` and not only cancellation: redis-py may swallow a cancel that lands
        # inside a blocking XREAD, and the loop must end all the same.
        while not self.stopped:
            try:
                entries = await store.tail(self.event_id, self.cursor)
            except LiveEventError:
                await asyncio.sleep(0.5)  # the store is away; viewers stay connected
                continue
            except Exception:
                log.exception("timeline tail failed for an event")
                await asyncio.sleep(0.5)
                continue
            for sid, record in entries:
                started = time.perf_counter()
                out = Outgoing(timeline_message(record, sid), parse_cursor(sid))
                self.broadcast(out)
                self.cursor = sid
                self.hub.on_fanout(len(self.live), time.perf_counter() - started)


class Hub:
    """All channels of this process."""

    def __init__(
        self,
        events: EventStore,
        *,
        write_buffer_limit: int,
        node_id: str,
        viewers_interval_s: float,
        node_ttl_s: float,
        ping_interval_s: float = 0.0,
    ) -> None:
        self.events = events
        self.ping_interval_s = ping_interval_s
        self.write_buffer_limit = write_buffer_limit
        self.node_id = node_id
        self.viewers_interval_s = viewers_interval_s
        self.node_ttl_s = node_ttl_s
        self.channels: dict[str, Channel] = {}
        # Set on shutdown: the node takes no more viewers (they go to another node).
        self.draining = False
        self.on_fanout: Callable[[int, float], None] = lambda n, seconds: None
        self._counts_task: asyncio.Task[None] | None = None
        self._ping_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def viewer_count(self) -> int:
        """Viewers (people) on this node, overlays and monitors left out."""
        return sum(c.count for c in self.channels.values())

    @property
    def socket_count(self) -> int:
        """Every viewer-socket connection on this node (what ``max_viewers`` caps)."""
        return sum(c.sockets for c in self.channels.values())

    def start(self) -> None:
        self._counts_task = asyncio.create_task(self._publish_counts(), name="liveevent-counts")
        if self.ping_interval_s > 0:
            self._ping_task = asyncio.create_task(self._heartbeat(), name="liveevent-ping")

    async def _heartbeat(self) -> None:
        """Ping every viewer each ``ping_interval_s``; cut one silent for 1.5 intervals.

        One sweep for all viewers instead of aiohttp's timer per connection, which costs
        ~0.8 KiB per viewer and a reschedule per frame. The ping frame is the same two bytes
        for everyone, written like a broadcast. A live phone answers within half an interval.
        """
        loop = asyncio.get_running_loop()
        while not self._stopping:
            await asyncio.sleep(self.ping_interval_s)
            silent_since = loop.time() - 1.5 * self.ping_interval_s
            for channel in list(self.channels.values()):
                for group in (channel.live, channel.joining):
                    for viewer in list(group):
                        if viewer.last_seen < silent_since:
                            viewer.drop()
                            group.discard(viewer)
                        elif not viewer.closed:
                            viewer.transport.write(PING_FRAME)

    async def stop(self) -> None:
        self._stopping = True
        for channel in self.channels.values():
            channel.stopped = True
        tasks = [c.task for c in self.channels.values()]
        for task in (self._counts_task, self._ping_task):
            if task is not None:
                tasks.append(task)
        for task in tasks:
            task.cancel()
        # Blocking XREADs end now rather than when their block times out.
        await self.events.conn.interrupt_tails()
        if tasks:
            # Bounded: a task stuck in a store call must not hold the shutdown.
            done, _ = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
            for task in done:
                if not task.cancelled():
                    task.exception()  # retrieved: a failure while stopping is not news
        for event_id in list(self.channels):
            with contextlib.suppress(LiveEventError):
                await self.events.forget_node(event_id, self.node_id)
        self.channels.clear()

    async def join(self, event_id: str, viewer: Viewer) -> Channel:
        """Add a viewer (collecting live messages in ``pending`` until ``catch_up``)."""
        channel = self.channels.get(event_id)
        if channel is None:
            channel = self.channels[event_id] = Channel(event_id, self)
        channel.joining.add(viewer)
        if not viewer.counted:
            channel.uncounted.add(viewer)
        await channel.ready.wait()
        return channel

    def catch_up(self, event_id: str, viewer: Viewer) -> None:
        """The viewer has been sent everything up to its cursor: flush what came meanwhile
        (skipping what its hello or replay already covered) and make it live."""
        channel = self.channels.get(event_id)
        pending, viewer.pending = viewer.pending or [], None
        for out in pending:
            if not viewer.send(out, self.write_buffer_limit):
                break
        if channel is not None and viewer in channel.joining and not viewer.closed:
            channel.joining.discard(viewer)
            channel.live.add(viewer)

    def leave(self, event_id: str, viewer: Viewer) -> None:
        channel = self.channels.get(event_id)
        if channel is not None:
            channel.live.discard(viewer)
            channel.joining.discard(viewer)
            channel.uncounted.discard(viewer)

    def local_viewers(self, event_id: str) -> int:
        channel = self.channels.get(event_id)
        return channel.count if channel else 0

    async def _publish_counts(self) -> None:
        """Report this node's viewers per event; tell viewers the total across nodes."""
        while not self._stopping:  # not only cancellation: see Channel._tail
            await asyncio.sleep(self.viewers_interval_s)
            for event_id, channel in list(self.channels.items()):
                try:
                    await self.events.publish_viewers(
                        event_id, self.node_id, channel.count, self.node_ttl_s
                    )
                    total = await self.events.viewers_online(event_id)
                except LiveEventError:
                    continue
                if channel.sockets:  # an overlay alone still needs the cards
                    channel.broadcast(Outgoing({"type": "viewers", "count": total}))
                elif self.channels.get(event_id) is channel:
                    # Nobody here any more: stop tailing this event.
                    channel.stopped = True
                    channel.task.cancel()
                    del self.channels[event_id]
                    with contextlib.suppress(LiveEventError):
                        await self.events.forget_node(event_id, self.node_id)
