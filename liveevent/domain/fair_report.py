"""The fair report's figures (issue 16, part 6): the rules, no I/O.

A fair's headline figures are one ``Figures`` row; the report gives one for the whole fair (the
overview), one per city, venue, channel and channel x city, per employer and per job, and the
report across fairs one per fair plus their total.

Theory of operation. Every number comes from a store function that ``/stats``, the exports and
the employer pages already use (``office/report.py`` names which), so the report cannot say
anything the other views do not. The rules decided here, where the issue is silent:

- **Openings** of a job count as ``attribution.openings_of`` says (the low end of a range,
  the top of "up to", 0 when unknown); ``ranged`` and ``unknown`` count the jobs whose openings
  are a range or open-ended, and unknown (若干), so a note row can say how the total was made.
- **求人倍率** (openings per applicant) is ``openings / applicants`` to two decimals, None
  (shown empty) when there are no applicants.
- **Intents** are the applications whose status is now ``intent`` (as the employer page and
  the staff progress view count them); one that went on to an outcome is counted there.
- **Applicants** are distinct phones within a fair; across fairs they are added up (one person
  at two fairs counts twice), which the across-fairs note says.
- **Which fairs a range holds**: those whose start (``starts_at``, or its creation when it has
  none) falls on a day from ``--from`` to ``--to`` inclusive, in the event's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo

from liveevent.domain.employers import employer_key
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput

# The widest range a report across fairs covers (a typo like 1900-01-01 reads every event).
MAX_RANGE_DAYS = 3660


def openings_of(job: Job) -> int:
    """The openings a job counts for in totals: its stated count, the low end of a range, the
    top of an "up to", 0 when unknown (the same rule as ``domain.attribution``). Raises
    nothing."""
    if job.openings is not None:
        return job.openings
    return job.openings_max or 0


def is_ranged(job: Job) -> bool:
    """True for a headcount that is not one number and not unknown: ``10-20``, ``20+``,
    ``up to 10``. Raises nothing."""
    if job.openings is None and job.openings_max is None:
        return False
    return job.openings != job.openings_max


def is_unknown(job: Job) -> bool:
    """True for an unknown headcount (若干). Raises nothing."""
    return job.openings is None and job.openings_max is None


def ratio(openings: int, applicants: int | None) -> float | None:
    """求人倍率: ``openings / applicants`` rounded to 2 decimals; None without applicants.
    Raises nothing."""
    if not applicants:
        return None
    return round(openings / applicants, 2)


@dataclass(frozen=True, slots=True)
class Figures:
    """One row of the report. A field that a row cannot know is None (shown empty): viewers
    of a venue, applicants of a channel, peak viewers of anything but the whole fair.

    ``openings`` per ``openings_of``; ``ranged``/``unknown`` jobs whose headcount is a range or
    unknown; ``ratio`` 求人倍率 (``ratio``). Raises nothing.
    """

    employers: int | None = None
    jobs: int | None = None
    openings: int | None = None
    ranged: int | None = None
    unknown: int | None = None
    viewers_peak: int | None = None
    unique_viewers: int | None = None
    checkins: int | None = None
    applications: int | None = None
    applicants: int | None = None
    intents: int | None = None
    hires: int | None = None

    @property
    def ratio(self) -> float | None:
        """求人倍率 of this row (``ratio``); None without applicants or openings. Raises
        nothing."""
        return ratio(self.openings or 0, self.applicants) if self.openings is not None else None

    def to_wire(self) -> dict[str, Any]:
        """Every field by name, and ``ratio``. Raises nothing."""
        wire = {f.name: getattr(self, f.name) for f in fields(self)}
        wire["ratio"] = self.ratio
        return wire


FIGURE_NAMES = (*(f.name for f in fields(Figures)), "ratio")


def job_totals(jobs: Iterable[Job]) -> dict[str, int]:
    """``{"employers", "jobs", "openings", "ranged", "unknown"}`` of ``jobs``; employers are
    counted by name as the jobs write it, folded by ``employer_key``. Raises nothing."""
    employers: set[str] = set()
    out = {"jobs": 0, "openings": 0, "ranged": 0, "unknown": 0}
    for job in jobs:
        employers.add(employer_key(job.employer))
        out["jobs"] += 1
        out["openings"] += openings_of(job)
        out["ranged"] += is_ranged(job)
        out["unknown"] += is_unknown(job)
    return {"employers": len(employers), **out}


def add_up(rows: Iterable[Figures]) -> Figures:
    """The sum of ``rows`` field by field (None only where every row has None). Raises
    nothing."""
    sums: dict[str, int | None] = {f.name: None for f in fields(Figures)}
    for row in rows:
        for name in sums:
            value = getattr(row, name)
            if value is not None:
                sums[name] = (sums[name] or 0) + value
    return Figures(**sums)


def _day(raw: object, field_name: str) -> dt.date:
    if not isinstance(raw, str) or len(raw) != 10:
        raise InvalidInput(
            f"{field_name} must be a date YYYY-MM-DD", fields={field_name: "must be YYYY-MM-DD"}
        )
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        why = "must be a real date YYYY-MM-DD"
        raise InvalidInput(f"{field_name} {why}", fields={field_name: why}) from exc


@dataclass(frozen=True, slots=True)
class DateRange:
    """The days ``first`` to ``last`` inclusive in ``zone``; ``start_ms``/``end_ms`` the Unix
    ms they cover (end exclusive). Build it with ``parse``."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @classmethod
    def parse(cls, query: Mapping[str, object], *, zone: ZoneInfo) -> DateRange:
        """From ``{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`` (``to`` defaults to ``from``).

        Raises ``InvalidInput`` naming ``from`` or ``to`` for a missing or bad date, ``to``
        before ``from``, or a range over ``MAX_RANGE_DAYS``."""
        first = _day(query.get("from"), "from")
        last = _day(query.get("to"), "to") if query.get("to") is not None else first
        if last < first:
            raise InvalidInput("to is before from", fields={"to": "must not be before from"})
        if (last - first).days >= MAX_RANGE_DAYS:
            why = f"must be within {MAX_RANGE_DAYS} days of from"
            raise InvalidInput(f"to {why}", fields={"to": why})
        return cls(first, last, zone)

    @property
    def start_ms(self) -> int:
        """Unix ms of the first day's midnight in ``zone``. Raises nothing."""
        midnight = dt.datetime.combine(self.first, dt.time(), self.zone)
        return int(midnight.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        """Unix ms of the midnight after the last day in ``zone`` (exclusive). Raises
        nothing."""
        after = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), self.zone)
        return int(after.timestamp() * 1000)

    def holds(self, ms: int) -> bool:
        """True if Unix ms ``ms`` falls on one of the days. Raises nothing."""
        return self.start_ms <= ms < self.end_ms
