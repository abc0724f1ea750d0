"""Fan-out: each process tails every event's timeline it has viewers for, and delivers.

Theory of operation: a push is appended to the event's timeline stream by whichever process
took the host's call. Every process runs one ``Channel`` per event with local viewers; the
channel blocks on XREAD and, for each new entry, encodes the viewer message once and writes the
same frame bytes to every viewer's transport. Writing never waits: a viewer whose unsent
buffer passes ``write_buffer_limit_bytes`` is cut off (it reconnects and resumes from its
cursor), so one slow phone cannot delay the others.

Exactly once, by construction. A viewer joins ``joining`` before its own read (hello, then
the entries it missed) starts, so every entry the channel broadcasts from then on lands in its
``pending``; every entry broadcast before that is at or below the cursor its own read ends at
(the store moves the event's cursor in the same script that appends the entry). At the
hand-off (``Hub.catch_up``) pending is flushed through ``Viewer.send``, which skips what the
viewer's cursor already covers. The viewer becomes ``live`` only once the channel's position
(the last entry it broadcast or skipped) has reached the viewer's cursor: until then the
channel's own read is behind what the viewer was sent, and the viewer stays in ``joining``,
where each broadcast goes through the same cursor check. From then on every broadcast is
after the viewer's cursor, in timeline order, so the hot loop over ``live`` needs no check.

An entry that cannot be decoded (a bug, a manual XADD, a partial restore) is skipped, logged
once by entry id and counted (``corrupt_entries``); what follows is delivered as usual.
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
from liveevent.store.events import EventStore, TimelineEntry
from liveevent.web.frames import PING_FRAME, Outgoing, parse_cursor

log = logging.getLogger(__name__)


STOP_TIMEOUT_S = 5.0
REPLAY_PAGE = 1000  # timeline entries per read when a viewer catches up
REPORTED_MAX = 1024  # corrupt entry ids remembered so each is logged once, not per viewer
PING_SLICES = 20  # the heartbeat pings one slice of the viewers at a time: see _heartbeat


class Viewer:
    """One viewer connection as the fan-out sees it.

    ``transport`` is where its frames are written (``web.wire.sink_for``: the socket's asyncio
    transport, or aiohttp's own sending when writing to it directly is not safe); ``binary``
    chooses msgpack frames over JSON text; ``ip`` is the
    per-address key (``proxies.client_ip``); ``now`` and ``last_seen`` are event-loop times
    in seconds; ``cursor`` the last timeline position sent, as ``(ms, seq)``.
    Constructing it raises nothing.
    """

    __slots__ = (
        "applies",
        "binary",
        "closed",
        "counted",
        "cursor",
        "ip",
        "joined_at",
        "last_seen",
        "pending",
        "transport",
        "viewer_id",
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
        # Live messages that came while this viewer's own read ran; None once handed off.
        self.pending: list[Outgoing] | None = []
        # The last entry the channel had sent when the viewer joined: its own read must reach
        # at least that far, since what the channel sent before is in no pending.
        self.joined_at: tuple[int, int] = (0, 0)
        self.closed = False
        # Times of this viewer's recent applies (rate limit); made on the first apply, since
        # most viewers never apply and 19,500 empty lists are half a megabyte.
        self.applies: list[float] | None = None
        self.last_seen = now  # loop time of the last frame from this viewer (pongs included)
        # The id of its first hello (unique viewers): a socket is one viewer, so a hello
        # under another id is refused (a script would inflate the counts at every message).
        self.viewer_id: str | None = None

    def send(self, out: Outgoing, limit: int) -> bool:
        """Write ``out`` without waiting; False (and the connection cut) if the viewer lags.

        Lagging: more than ``limit`` bytes still unsent after the write. A timeline message
        at or before the viewer's cursor is skipped (True). Also False for a closed viewer.
        Raises as ``Outgoing``'s encoding does (never for a message ``Hub.message`` built).
        """
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
        """Mark the viewer closed and abort its connection at once (no close frame: it is
        lagging or silent). Returns None; raises nothing."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class Channel:
    """The viewers of one event in this process, and the task that feeds them.

    ``joining`` viewers are still being sent their hello (and what they missed) and collect
    live messages in ``pending`` meanwhile, or, handed off, wait for the channel to reach
    their cursor and get each message through the per-viewer cursor check. ``live`` ones
    are in step and get each frame as it comes, in timeline order, so the hot loop needs no
    per-viewer bookkeeping. ``position`` is the last timeline entry broadcast or skipped as
    corrupt, ``sent`` the last one broadcast, both as comparable ``(ms, seq)`` tuples.
    Made by ``Hub.join``: constructing it starts the event's tail task, so it raises
    ``RuntimeError`` outside a running event loop.
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
        self.position: tuple[int, int] = (0, 0)
        self.sent: tuple[int, int] = (0, 0)
        self.ready = asyncio.Event()
        self.stopped = False
        self.task = asyncio.create_task(self._tail(), name=f"liveevent-tail-{event_id}")
        self.dropped = 0

    @property
    def sockets(self) -> int:
        """Every connection fed here, counted or not (live and joining). Raises nothing."""
        return len(self.live) + len(self.joining)

    @property
    def count(self) -> int:
        """Viewers: the connections that are people. (Never below 0: a viewer cut by the
        heartbeat or the fan-out leaves ``uncounted`` a moment later, in ``Hub.leave``.)

        Raises nothing."""
        return max(0, self.sockets - len(self.uncounted))

    def broadcast(self, out: Outgoing) -> None:
        """Write one message to every viewer; never waits, never encodes it twice.

        A live viewer with more than ``write_buffer_limit`` bytes unsent afterwards is cut
        (counted in ``dropped``). Returns None. Raises as ``Outgoing.text_frame`` does, which
        ``Hub.message`` has already checked for timeline messages.
        """
        limit = self.hub.write_buffer_limit
        text = out.text_frame()
        lagging: list[Viewer] = []
        # The hot loop: one write per viewer of bytes built once, and a look at how much is
        # still unsent. Nothing here awaits, and nothing checks a cursor: see ``admit``.
        for viewer in self.live:
            transport = viewer.transport
            transport.write(out.binary_frame() if viewer.binary else text)
            if transport.get_write_buffer_size() > limit:
                lagging.append(viewer)
        for viewer in lagging:
            viewer.drop()
            self.live.discard(viewer)
            self.dropped += 1
        # After the live loop, so that a viewer admitted here is not sent ``out`` twice.
        if self.joining:
            self._feed_joining(out)

    def _feed_joining(self, out: Outgoing) -> None:
        limit = self.hub.write_buffer_limit
        for viewer in list(self.joining):
            if viewer.pending is not None:
                viewer.pending.append(out)  # its own read is still running
            elif not viewer.send(out, limit):
                self.joining.discard(viewer)  # gone, or cut off for lagging by ``send``
            elif out.cursor is not None and out.cursor >= viewer.cursor:
                self.joining.discard(viewer)
                self.live.add(viewer)

    def admit(self, viewer: Viewer) -> None:
        """Make a handed-off viewer live if the channel has reached its cursor; otherwise it
        waits in ``joining`` (``_feed_joining`` or ``_advance`` admits it when the cursors
        meet). Returns None; a closed viewer, or one not joining here, is left alone.
        Raises nothing."""
        if viewer.closed or viewer not in self.joining:
            return
        if self.position >= viewer.cursor:
            self.joining.discard(viewer)
            self.live.add(viewer)

    def _advance(self, sid: str, *, skipped: bool) -> None:
        """The channel's read has passed entry ``sid``, broadcast or ``skipped`` (corrupt)."""
        self.cursor = sid
        self.position = parse_cursor(sid) or self.position
        # A broadcast already admitted every waiting viewer it reached (``_feed_joining``);
        # a skipped entry reached nobody, yet may be the cursor a viewer waits for.
        if skipped and self.joining:
            for viewer in [v for v in self.joining if v.pending is None]:
                self.admit(viewer)

    async def _tail(self) -> None:
        store = self.hub.events
        while True:
            try:
                view = await store.event_view(self.event_id)
                self.cursor = view.cursor
                self.position = self.sent = parse_cursor(view.cursor) or (0, 0)
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
            for entry in entries:
                started = time.perf_counter()
                out = self.hub.message(self.event_id, entry, path="fanout")
                if out is not None:
                    self.broadcast(out)
                    self.sent = out.cursor or self.sent
                self._advance(entry[0], skipped=out is None)
                if out is not None:
                    self.hub.on_fanout(len(self.live), time.perf_counter() - started)


class Hub:
    """All channels of this process.

    ``write_buffer_limit`` is in bytes per viewer; ``viewers_interval_s`` how often the
    viewer counts are published, ``node_ttl_s`` how long a published count stays valid,
    ``ping_interval_s`` the heartbeat (0: none), all in seconds. ``start`` it inside the
    event loop, ``stop`` it once.
    Constructing it starts nothing and raises nothing.
    """

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
        # Timeline entries skipped because they could not be decoded, by where they were met:
        # "fanout" (the channel's read, once per entry and process) or "replay" (a viewer's
        # own catch-up read, once per viewer that passes it).
        self.corrupt_entries = {"fanout": 0, "replay": 0}
        self._reported: set[tuple[str, str]] = set()
        self._counts_task: asyncio.Task[None] | None = None
        self._ping_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def viewer_count(self) -> int:
        """Viewers (people) on this node, overlays and monitors left out. Raises nothing."""
        return sum(c.count for c in self.channels.values())

    @property
    def socket_count(self) -> int:
        """Every viewer-socket connection on this node (what ``max_viewers`` caps).

        Raises nothing.
        """
        return sum(c.sockets for c in self.channels.values())

    def start(self) -> None:
        """Start the viewer-count publisher and, if ``ping_interval_s`` > 0, the heartbeat.

        Returns None. Raises ``RuntimeError`` outside a running event loop.
        """
        self._counts_task = asyncio.create_task(self._publish_counts(), name="liveevent-counts")
        if self.ping_interval_s > 0:
            self._ping_task = asyncio.create_task(self._heartbeat(), name="liveevent-ping")

    async def _heartbeat(self) -> None:
        """Ping every viewer each ``ping_interval_s``; cut one silent for 1.5 intervals.

        One sweep for all viewers instead of aiohttp's timer per connection, which costs
        ~0.8 KiB per viewer and a reschedule per frame. The ping frame is the same two bytes
        for everyone. A live phone answers within half an interval.

        Each viewer is pinged in one of ``PING_SLICES`` slices (by its hash), one slice per
        tick, so the pings and their pongs are spread over the interval: pinged all at once,
        10,000 phones answer at once, and the ~10,000 handler wake-ups (and the garbage
        collections they bring) delayed a push that landed among them by hundreds of ms.
        """
        loop = asyncio.get_running_loop()
        tick = 0
        while not self._stopping:
            await asyncio.sleep(self.ping_interval_s / PING_SLICES)
            tick = (tick + 1) % PING_SLICES
            silent_since = loop.time() - 1.5 * self.ping_interval_s
            for channel in list(self.channels.values()):
                for group in (channel.live, channel.joining):
                    for viewer in list(group):
                        if viewer.last_seen < silent_since:
                            viewer.drop()
                            group.discard(viewer)
                        elif not viewer.closed and hash(viewer) % PING_SLICES == tick:
                            viewer.transport.write(PING_FRAME)

    async def stop(self) -> None:
        """Stop every channel's tail and the background tasks, and withdraw this node's
        viewer counts from the store.

        Waits at most ``STOP_TIMEOUT_S`` (5 s) for the tasks. Returns None and raises nothing
        of its own: store errors while withdrawing the counts are ignored (they expire after
        ``node_ttl_s``). Viewer connections are not closed here.
        """
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
        await self.events.interrupt_tails()
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
        """Add a viewer (collecting live messages in ``pending`` until ``catch_up``).

        Call it before reading what the viewer is to be sent first (hello, replay): what the
        channel broadcasts from here on is kept for it. Returns the event's channel (made on
        the first viewer) once its tail has read the event's cursor: it waits, retrying every
        0.5 s, while the store is away. Raises nothing of its own.
        """
        channel = self.channels.get(event_id)
        if channel is None:
            channel = self.channels[event_id] = Channel(event_id, self)
        channel.joining.add(viewer)
        viewer.joined_at = channel.sent  # (0, 0) until ready: nothing was sent before
        if not viewer.counted:
            channel.uncounted.add(viewer)
        await channel.ready.wait()
        return channel

    async def replay(self, event_id: str, viewer: Viewer, after: str, limit: int) -> None:
        """Send ``viewer`` every timeline entry after cursor ``after`` (a resuming viewer's
        catch-up read), oldest first, in pages of ``REPLAY_PAGE``; a corrupt entry is skipped
        (logged once, counted under "replay"). ``limit`` is the write-buffer cap in bytes.

        Raises ``StoreUnavailable`` if the store does not answer.
        """
        while True:
            page = await self.events.timeline_entries(event_id, after, count=REPLAY_PAGE)
            for entry in page:
                out = self.message(event_id, entry, path="replay")
                if out is not None and not viewer.send(out, limit):
                    return  # cut off: it will resume from its cursor
            if len(page) < REPLAY_PAGE:
                return
            after = page[-1][0]

    def message(self, event_id: str, entry: TimelineEntry, *, path: str) -> Outgoing | None:
        """The viewer message for one timeline entry, or None (logged, counted) if the entry
        cannot be decoded or is not a timeline record.

        ``path`` is where it was met (``"fanout"`` or ``"replay"``, the key counted in
        ``corrupt_entries``). The message is a ``cards.timeline_message`` with its cursor, its
        text frame already encoded. Never raises for a bad entry."""
        sid, record = entry
        if record is not None:
            try:
                out = Outgoing(timeline_message(record, sid), parse_cursor(sid))
                # Encoded here, once (every viewer's send reuses it): a record whose fields
                # JSON cannot hold (bytes, say) used to fail in the fan-out's broadcast and
                # end the event's fan-out task for good.
                out.text_frame()
                return out
            except (LiveEventError, LookupError, TypeError, ValueError, AttributeError):
                pass  # a map, but not a timeline record: as corrupt as undecodable bytes
        self.corrupt_entries[path] += 1
        if (event_id, sid) not in self._reported:
            if len(self._reported) >= REPORTED_MAX:
                self._reported.clear()
            self._reported.add((event_id, sid))
            # The id only: the entry's bytes are unknown and might hold anything.
            log.error(
                "skipped timeline entry %s of event %s: it could not be decoded", sid, event_id
            )
        return None

    async def catch_up(self, event_id: str, viewer: Viewer) -> None:
        """The viewer has been sent everything up to its cursor (hello, replay): flush what
        came meanwhile (skipping what its own read already covered) and hand it to the
        channel, which makes it live once its own read has reached the viewer's cursor.

        Raises ``StoreUnavailable`` if a read it needs (see below) finds no store.
        """
        if viewer.cursor < viewer.joined_at and not viewer.closed:
            # Its own read ended before entries the channel had sent before it joined, which
            # are in no pending. Never the case while only the store's script appends (it
            # moves the event's cursor with each entry); it is after a partial restore or a
            # hand-made XADD. Read on from the store rather than leave a gap.
            ms, seq = viewer.cursor
            await self.replay(event_id, viewer, f"{ms}-{seq}", self.write_buffer_limit * 16)
        channel = self.channels.get(event_id)
        pending, viewer.pending = viewer.pending or [], None
        for out in pending:
            if not viewer.send(out, self.write_buffer_limit):
                break
        if channel is not None:
            channel.admit(viewer)

    def leave(self, event_id: str, viewer: Viewer) -> None:
        """Forget ``viewer`` (a closed connection). Returns None; raises nothing, also for a
        viewer or event not known here. An empty channel is closed by the next count publish."""
        channel = self.channels.get(event_id)
        if channel is not None:
            channel.live.discard(viewer)
            channel.joining.discard(viewer)
            channel.uncounted.discard(viewer)

    def local_viewers(self, event_id: str) -> int:
        """Viewers (people) of ``event_id`` on this node; 0 without a channel. Raises nothing."""
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
