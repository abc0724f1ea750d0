"""Batched ingest: many concurrent applies become one pipelined, fsync-confirmed batch.

One awaited round trip per application tops out near 8k/s with redis-py, and each would wait
for its own fsync. Instead, every apply joins the pending list; a single flusher sends what has
gathered as one pipeline ending in WAITAOF, then answers each caller. Under load the batches
grow by themselves (everything that arrived during the previous round trip); when idle, a
batch is one application and the latency is one round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from liveevent.errors import LiveEventError, StoreUnavailable
from liveevent.store.applications import ApplicationLog, Applied, PendingApply

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 0.05


class ApplicationIngest:
    """Gathers concurrent applies into batches of at most ``max_batch`` for
    ``ApplicationLog.apply_batch``, one batch in flight at a time.

    ``answer_within_s`` (seconds, None: no bound) caps how long a caller waits for its answer.
    ``batches`` and ``applied`` count what was sent and stored. ``start`` it inside the event
    loop, ``stop`` it once.
    Constructing it starts nothing and raises nothing.
    """

    def __init__(
        self,
        applications: ApplicationLog,
        *,
        max_batch: int,
        answer_within_s: float | None = None,
    ) -> None:
        self._applications = applications
        self._max_batch = max_batch
        # A caller hears back within this, even if the store hangs: a batch stuck on a stopped
        # store (or queued behind one) must not hold every apply for several timeouts.
        self._answer_within_s = answer_within_s
        self._pending: list[tuple[PendingApply, asyncio.Future[Applied], float]] = []
        self._deadlines: deque[tuple[float, asyncio.Future[Applied]]] = deque()
        self._sweeper: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.applied = 0
        # Metrics hook, once per batch: (queued-to-acknowledged seconds of each application
        # stored, how many got a store error). Plain numbers here; web/metrics.py observes them.
        self.on_batch: Callable[[list[float], int], None] = lambda latencies, errors: None

    @property
    def watched(self) -> int:
        """Applies whose answer deadline is still being watched (answered ones leave soon).

        0 without ``answer_within_s``; raises nothing.
        """
        return len(self._deadlines)

    def start(self) -> None:
        """Start the flusher (and the deadline sweeper) tasks; returns None.

        Raises ``RuntimeError`` outside a running event loop.
        """
        self._task = asyncio.create_task(self._flush_forever(), name="liveevent-ingest")
        if self._answer_within_s is not None:
            self._sweeper = asyncio.create_task(self._expire_forever(), name="liveevent-expire")

    async def stop(self) -> None:
        """Finish what is pending, then stop; later submits are refused.

        Returns None once the flusher and sweeper have ended; raises nothing of its own.
        """
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def submit(self, item: PendingApply) -> Applied:
        """Store one application; returns once it is on disk (or raises, acknowledging nothing)."""
        # A cancelled caller cancels only its future; the flusher skips futures already done.
        return await self.enqueue(item)

    def enqueue(self, item: PendingApply) -> asyncio.Future[Applied]:
        """Queue one application; the future is done once it is on disk (or with the error).

        The future's error is a ``LiveEventError`` (``StoreUnavailable``, ``NotFound``,
        ``RateLimited``, ``Conflict``: see ``ApplicationLog.apply_batch``). Raises
        ``StoreUnavailable`` at once after ``stop``.
        """
        if self._closing:
            raise StoreUnavailable("this server is shutting down; try again")
        future: asyncio.Future[Applied] = asyncio.get_running_loop().create_future()
        queued = time.perf_counter()
        self._pending.append((item, future, queued))
        if self._answer_within_s is not None:
            self._deadlines.append((queued + self._answer_within_s, future))
        self._wake.set()
        return future

    async def _expire_forever(self) -> None:
        """Answer "try again" to every apply not confirmed within ``answer_within_s``.

        One sweep for all of them (instead of a timer per apply, which costs on the hot path).
        The batch may still land: the caller retries with the same idempotency key (or the
        same phone), which returns the first answer and never stores twice.
        """
        while not self._closing or self._deadlines:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            now = time.perf_counter()
            # Answered ones go too, not only expired ones: applies are answered in about the
            # order they came, and an answered future kept for the whole wait (16,000 of them
            # at 5,000/s) would make every full garbage collection tens of ms longer.
            while self._deadlines and (
                self._deadlines[0][0] <= now or self._deadlines[0][1].done()
            ):
                _, future = self._deadlines.popleft()
                if not future.done():
                    future.set_exception(
                        StoreUnavailable("the store did not confirm in time; try again")
                    )
                    future.add_done_callback(_retrieve)

    async def _flush_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._flush(batch)
            if self._closing:
                return

    async def _flush(
        self, batch: list[tuple[PendingApply, asyncio.Future[Applied], float]]
    ) -> None:
        try:
            results: list[Applied | LiveEventError] = await self._applications.apply_batch(
                [item for item, _, _ in batch]
            )
        except Exception as exc:
            log.exception("apply batch failed")
            results = [StoreUnavailable(f"the store failed: {type(exc).__name__}")] * len(batch)
        self.batches += 1
        done = time.perf_counter()
        latencies: list[float] = []
        errors = 0
        for (_, future, queued), result in zip(batch, results, strict=True):
            if isinstance(result, Applied):
                latencies.append(done - queued)
            elif isinstance(result, StoreUnavailable):
                errors += 1
            if future.done():
                continue
            if isinstance(result, Applied):
                self.applied += 1
                future.set_result(result)
            else:
                future.set_exception(result)
        self.on_batch(latencies, errors)


def _retrieve(future: asyncio.Future[Applied]) -> None:
    """Mark a late answer nobody waits for any more as seen (no "never retrieved" noise)."""
    if not future.cancelled():
        future.exception()
