"""Whether an application went onto a filled job's waiting list (候补), said in its answer.

A filled job keeps taking applications, as a waiting list (``domain/openings.py``). The store's
apply script does not read hire counts (that would cost every apply a read for a few filled
jobs), so the answer is completed here: the job's headcount and confirmed hires are read while
the application is being stored (a plain read is done long before the apply's fsync), and
``remaining(...).filled`` is the answer's ``waitlist``, the rule every page applies to the same
two numbers. The read never holds the answer back for long: an application that is stored is
answered at most ``READ_GRACE_S`` later, with ``waitlist: null`` if its read has not come back
(a store that stops answering right after the fsync must not delay, or fail, a stored apply).

Reads are shared: while one read of a job's numbers is in flight, every other answer for that
job waits for it instead of starting its own, so a burst of a thousand applies to the card on
screen costs a few reads, not a thousand. An answer therefore says what the job's count was
around the moment the application was made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from liveevent.domain.openings import remaining
from liveevent.errors import LiveEventError
from liveevent.store.applications import Applied
from liveevent.store.events import EventStore

log = logging.getLogger(__name__)

READ_GRACE_S = 0.2  # how long a stored application's answer waits for its job's count


@dataclass(frozen=True, slots=True)
class ApplyAnswer:
    """The answer to an apply (HTTP, websocket or station): the stored ``application_id``,
    ``duplicate`` (the store already held it), and ``waitlist``: True when the job had no place
    left (the application is on its waiting list), False when it had, None when the count could
    not be read after the application was stored (pages then say nothing about a waiting list).

    The constructor checks nothing and raises nothing.
    """

    application_id: str
    duplicate: bool
    waitlist: bool | None

    def to_wire(self) -> dict[str, Any]:
        """``{"application_id", "duplicate", "waitlist"}``, JSON-ready. Raises nothing."""
        return {
            "application_id": self.application_id,
            "duplicate": self.duplicate,
            "waitlist": self.waitlist,
        }


class WaitlistBook:
    """Reads whether a job is filled, one read in flight per job (see the module docstring).

    Holds no counts between reads: nothing to go stale. One per app (``appkeys.WAITLIST``).
    """

    def __init__(self, events: EventStore) -> None:
        self._events = events
        self._reads: dict[tuple[str, str], asyncio.Future[bool]] = {}

    async def filled(self, event_id: str, job_id: str) -> bool:
        """Whether ``job_id`` of ``event_id`` has no place left now (``domain.openings``).

        Raises ``NotFound`` (no such job), ``StoreUnavailable``.
        """
        key = (event_id, job_id)
        read = self._reads.get(key)
        if read is None:
            read = asyncio.ensure_future(self._read(event_id, job_id))
            self._reads[key] = read
            read.add_done_callback(lambda done: self._forget(key, done))
        # shield: an answer whose socket went away must not cancel the others' shared read.
        return await asyncio.shield(read)

    def _forget(self, key: tuple[str, str], done: asyncio.Future[bool]) -> None:
        if self._reads.get(key) is done:
            del self._reads[key]
        if not done.cancelled():
            done.exception()  # retrieved: the awaiting answers handle it

    async def _read(self, event_id: str, job_id: str) -> bool:
        job, hires = await asyncio.gather(
            self._events.job(event_id, job_id), self._events.job_hires(event_id, [job_id])
        )
        return remaining(job.openings, job.openings_max, hires.get(job_id, 0)).filled

    async def answer(self, event_id: str, job_id: str, applied: Awaitable[Applied]) -> ApplyAnswer:
        """``applied`` (the store's answer to an apply for ``job_id``), completed with
        ``waitlist``, read meanwhile. Raises what ``applied`` raises; a read of the job's count
        that fails, or has not come back ``READ_GRACE_S`` after the application was stored, is
        answered ``waitlist: None`` (the application is stored: answering an error would only
        make the client send it again).
        """
        read = asyncio.ensure_future(self.filled(event_id, job_id))
        try:
            stored = await applied
        except BaseException:
            read.cancel()  # only this answer's wait: a shared read goes on for the others
            raise
        waitlist: bool | None
        try:
            waitlist = await asyncio.wait_for(read, READ_GRACE_S)
        except (LiveEventError, TimeoutError) as exc:
            log.warning("waiting-list read failed for an apply: %s", type(exc).__name__)
            waitlist = None
        return ApplyAnswer(stored.application_id, stored.duplicate, waitlist)
