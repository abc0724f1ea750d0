"""Retention after hire for the reports (issue 17 part 4): per event and per employer, then
summed across events (``office.summary``). Rules and the rate: ``domain.followups``."""

from __future__ import annotations

from liveevent.domain.employers import employer_key
from liveevent.domain.followups import RetentionFigures, tally
from liveevent.domain.jobs import Job
from liveevent.store.events import EventStore
from liveevent.store.followups import FollowUpBook


def employers_of(jobs: list[Job]) -> dict[str, str]:
    """Job id -> its employer as the employer's first job writes it: one employer written two
    ways (``employer_key``) is one row of the retention. Raises nothing."""
    first: dict[str, str] = {}
    return {job.id: first.setdefault(employer_key(job.employer), job.employer) for job in jobs}


async def event_retention(
    events: EventStore, event_id: str, *, now: int
) -> tuple[RetentionFigures, dict[str, RetentionFigures]]:
    """The event's retention and each employer's at ``now`` (Unix ms). Reads the event's
    status changes and follow-up marks once. Raises ``StoreUnavailable``, ``CorruptEntry``."""
    book = FollowUpBook(events.conn)
    hires = await book.hires(event_id, employers_of(await events.jobs(event_id)))
    return tally([h for h in hires if h.employer], await book.marks(event_id), now=now)
