"""When this process runs CPython's full garbage collections, and how long each collection took.

The problem (issue 15, part 1b). CPython 3.11's collector is generational: a young collection
looks only at objects allocated since the last one and is cheap; a full collection walks every
tracked object of the process. It runs one automatically once the objects that survived young
collections ("long-lived pending") reach 25% of those the last full collection kept. Each
connected viewer holds about 70 tracked objects (aiohttp's request, protocol, handler task and
coroutine, the websocket response, ...), so while a crowd joins the heap grows by a quarter
again and again, and each full collection walks it all: 65 ms at the first, 380 ms of CPU at
10,000 viewers (measured here with a ``gc.callbacks`` timer: 194, 228, then 745 ms of wall
time at 3,000 viewers on a busy 2-core machine). The loop is stopped meanwhile, so a card
pushed then reaches every viewer that much later (the worst push p99 of 414-587 ms against
155 ms for a bare aiohttp server). The other stall found while measuring this was the
heartbeat's pong burst (see ``Hub._heartbeat``), now spread over the interval.

The policy. ``GcPolicy`` turns the automatic full collections off (``gc.set_threshold`` with an
unreachable third threshold) and runs them itself, from a timer, at a quiet moment: no push
fanned out for ``gc_quiet_s``, and at most one per ``gc_full_interval_s``. Young collections
(generations 0 and 1) run as before: their cost is bounded by what was allocated since the
last one, never by the crowd. A timer callback cannot run inside a fan-out (``broadcast`` never
awaits), and automatic full collections, which could start on any allocation inside one, no
longer exist; so a push is delayed by a full collection only if the host's call arrives during
the one the quiet rule chose, which a push burst never sees.

The trade-off, and its bound. What a full collection would free is garbage in reference cycles
that outlived two young collections (e.g. a closed connection's objects that point at each
other). Freed by reference counting, most of a closed viewer never needs the collector; what
does (measured: ~23 tracked objects per closed connection, server and client sides together, of
the ~185 a connected one holds) now waits for the next quiet full collection: at most
``gc_full_interval_s`` when the fair has quiet moments, and never more than
``gc_full_max_wait_s``, after which a full collection runs even while pushes keep coming. The
memory held is therefore bounded by the cyclic garbage that one ``gc_full_max_wait_s`` of
viewers joining and leaving leaves (the tests/web/test_gcpolicy.py waves measure it) and is
released entirely by each full collection: even 10,000 reconnects within one
``gc_full_max_wait_s`` hold ~230,000 small objects, tens of MB. The first full collection comes
no sooner than ``gc_full_interval_s`` after the start. The cost moved, not removed: a full
collection at 10,000 viewers still stops the loop for ~0.4 s, once a minute at most, 0.7% of a
core, when no push is going out; a push the host sends in that instant waits for it.
``gc.freeze()`` was the other candidate: it hides objects from every collection, so a frozen
viewer's cycles would never be freed unless unfrozen and collected, the same full walk at the
same quiet moment; a threshold says the same thing with less state.

``GcPauses`` times every collection of the process (``gc.callbacks``, the documented hook; a
few additions per collection) by generation, for ``GET /metrics``.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

log = logging.getLogger(__name__)

GENERATIONS = 3
FULL = GENERATIONS - 1
# Pause buckets in seconds: young collections take microseconds, full ones up to ~0.4 s.
PAUSE_BUCKETS_S = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# A full collection counter that gc never reaches (``gc.set_threshold`` takes a C int).
NEVER = 2**31 - 1
# A full collection this long is logged (without any object in it: just the figures).
SLOW_FULL_S = 0.1

# The thresholds before the first policy started, so that the last one to stop restores them
# (tests run several apps in one process; their policies overlap).
_active = 0
_saved_threshold: tuple[int, int, int] | None = None


class GcPauses:
    """Pauses of this process's garbage collections, by generation (0, 1, 2 = full).

    ``counts[g]``, ``seconds[g]`` (sum), ``longest[g]`` (seconds) and ``buckets[g][i]`` (the
    collections that took at most ``PAUSE_BUCKETS_S[i]``, not cumulative). The times are wall
    clock (``time.perf_counter``) between gc's "start" and "stop" callbacks, i.e. how long the
    loop was stopped. ``install`` adds it to ``gc.callbacks``; ``remove`` takes it out.
    Its methods raise nothing (the ``gc.callbacks`` protocol: a callback must not raise).
    """

    def __init__(self) -> None:
        self.counts = [0] * GENERATIONS
        self.seconds = [0.0] * GENERATIONS
        self.longest = [0.0] * GENERATIONS
        self.buckets = [[0] * len(PAUSE_BUCKETS_S) for _ in range(GENERATIONS)]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        # Called by the collector itself: keep it to a clock read and a few additions.
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = time.perf_counter() - self._started
        generation = info["generation"]
        self.counts[generation] += 1
        self.seconds[generation] += pause
        if pause > self.longest[generation]:
            self.longest[generation] = pause
        index = bisect.bisect_left(PAUSE_BUCKETS_S, pause)
        if index < len(PAUSE_BUCKETS_S):
            self.buckets[generation][index] += 1

    def install(self) -> None:
        """Add it to ``gc.callbacks`` (once, however often called). Returns None; raises
        nothing."""
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        """Take it out of ``gc.callbacks``; nothing if it is not there. Returns None; raises
        nothing."""
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self)


class GcPolicy:
    """Full collections only at quiet moments (see the module docstring).

    ``fanouts`` returns how many timeline messages this process has fanned out so far (a
    counter); a new one is noticed within one tick (``tick_s``, at most half of
    ``quiet_s``). Times in seconds, loop time. ``quiet_s`` <= 0 makes ``start`` a no-op:
    CPython's own policy applies.
    A full collection runs at most every ``full_interval_s``, and at the latest every
    ``full_max_wait_s`` even without a quiet moment. ``full_collections`` counts those run.
    Constructing it changes nothing and raises nothing; ``start`` does.
    """

    def __init__(
        self,
        *,
        fanouts: Callable[[], int],
        quiet_s: float,
        full_interval_s: float,
        full_max_wait_s: float,
    ) -> None:
        self.fanouts = fanouts
        self.quiet_s = quiet_s
        self.full_interval_s = full_interval_s
        self.full_max_wait_s = max(full_max_wait_s, full_interval_s)
        self.tick_s = min(0.5, quiet_s / 2)
        self.full_collections = 0  # run by this policy
        self._task: asyncio.Task[None] | None = None
        self._fanouts_seen = 0
        self._last_push = 0.0
        self._last_full = 0.0

    @property
    def enabled(self) -> bool:
        """Whether ``start`` takes over full collections (``quiet_s`` > 0). Raises nothing."""
        return self.quiet_s > 0

    def start(self) -> None:
        """Turn automatic full collections off (process-wide) and start the timer.

        Sets gc's third threshold to ``NEVER``, keeping the young ones. Returns None; nothing
        when not ``enabled``. Raises ``RuntimeError`` outside a running event loop.
        """
        global _active, _saved_threshold
        if not self.enabled:
            return
        if _active == 0:
            _saved_threshold = gc.get_threshold()
        _active += 1
        young0, young1, _ = gc.get_threshold()
        gc.set_threshold(young0, young1, NEVER)
        loop = asyncio.get_running_loop()
        self._last_push = self._last_full = loop.time()
        self._fanouts_seen = self.fanouts()
        self._task = asyncio.create_task(self._run(), name="liveevent-gc")

    async def stop(self) -> None:
        """Stop the timer; the last policy of the process restores the thresholds it found.

        Returns None; nothing if not started. Raises nothing of its own.
        """
        global _active, _saved_threshold
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        _active -= 1
        if _active == 0 and _saved_threshold is not None:
            gc.set_threshold(*_saved_threshold)
            _saved_threshold = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.tick_s)
            self.tick(loop.time())

    def tick(self, now: float) -> bool:
        """Run a full collection if one is due at loop time ``now``; True if it ran.

        Not due: within ``full_interval_s`` of the last, within ``quiet_s`` of a push (until
        ``full_max_wait_s``), or no young collection since the last. Raises what the
        ``fanouts`` callable raises.
        """
        fanouts = self.fanouts()
        if fanouts != self._fanouts_seen:
            self._fanouts_seen = fanouts
            self._last_push = now
        since_full = now - self._last_full
        if since_full < self.full_interval_s:
            return False
        if now - self._last_push < self.quiet_s and since_full < self.full_max_wait_s:
            return False  # pushes are being fanned out: wait for a quiet moment
        self._last_full = now
        _, young_collections, older_collections = gc.get_count()
        if young_collections == 0 and older_collections == 0:
            return False  # no young collection since the last full one: nothing was promoted
        started = time.perf_counter()
        gc.collect()
        self.full_collections += 1
        took = time.perf_counter() - started
        if took >= SLOW_FULL_S:
            log.info("full garbage collection took %.0f ms (at a quiet moment)", took * 1000)
        return True


@contextlib.asynccontextmanager
async def gc_running(policy: GcPolicy, pauses: GcPauses) -> AsyncIterator[None]:
    """``policy`` and ``pauses`` active for the body (the app's cleanup context uses it).

    Yields None; both are undone on the way out, also on an error, which propagates.
    Raises ``RuntimeError`` outside a running event loop (``GcPolicy.start``).
    """
    pauses.install()
    policy.start()
    try:
        yield
    finally:
        await policy.stop()
        pauses.remove()
