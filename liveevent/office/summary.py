"""The cross-event summary for the organisers and their sponsors.

Per event: peak viewers, cards pushed, applications, applicants (distinct phones), hires, and
per employer totals; then the same per employer across all events. Read from the counters that
``/stats`` uses, so the numbers agree. No personal data.

Issue 16: each event also carries its ``unique_viewers``, ``by_city`` and ``by_channel`` (the
rows of ``AttributionStore.figures``, as ``/stats`` has them), and the report a ``by_city``
across events: each city's figures added up by name (applicants are distinct per event only:
one person who applied at two fairs is counted in both).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.followups import RetentionFigures
from liveevent.office.retention import event_retention
from liveevent.store import keys
from liveevent.store.applications import ApplicationLog
from liveevent.store.attribution import AttributionStore
from liveevent.store.events import EventStore
from liveevent.store.purge import purged_at

_TOTALS = ("jobs", "openings", "applications", "hires")


@dataclass(frozen=True, slots=True)
class EmployerTotals:
    employer: str
    jobs: int
    openings: int
    applications: int
    hires: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "employer": self.employer,
            "jobs": self.jobs,
            "openings": self.openings,
            "applications": self.applications,
            "hires": self.hires,
        }


def _add(into: dict[str, dict[str, int]], employer: str, numbers: dict[str, int]) -> None:
    totals = into.setdefault(employer, dict.fromkeys(_TOTALS, 0))
    for key in _TOTALS:
        totals[key] += numbers[key]


def _rows(totals: dict[str, dict[str, int]], *, every: bool) -> list[EmployerTotals]:
    """The employers, most hires and applications first; unless ``every``, only those with
    some activity (an application or a hire): after a few imports most employers have none,
    and a list of hundreds of zeros hides the ones that matter."""
    rows = [
        EmployerTotals(employer, **numbers)
        for employer, numbers in totals.items()
        if every or numbers["applications"] or numbers["hires"]
    ]
    rows.sort(key=lambda r: (-r.hires, -r.applications, r.employer))
    return rows


async def summary(
    events: EventStore,
    applications: ApplicationLog,
    *,
    every_employer: bool = True,
    now: int | None = None,
) -> dict[str, Any]:
    """``{"events": [...], "employers": [...], "employers_not_shown": N, "totals": {...}}``
    over every event (each event's row lists its own ``employers`` the same way).

    Every event is listed. Every employer is listed too, or with ``every_employer=False`` (the
    CLI's default) only those with an application or a hire; ``employers_not_shown`` counts
    the ones left out (across all events). ``retention`` (issue 17 part 4, at ``now``, Unix
    ms, default the clock) is the 7-/30-day retention after hire of each event, of each
    employer across events (``retention_by_employer``) and of all (``domain.followups``).
    Raises ``StoreUnavailable``.
    """
    if now is None:
        now = int(time.time() * 1000)
    retention_all = RetentionFigures()
    retention_employers: dict[str, RetentionFigures] = {}
    out_events: list[dict[str, Any]] = []
    everywhere: dict[str, dict[str, int]] = {}
    attribution = AttributionStore(events, applications)
    cities: dict[str | None, dict[str, int]] = {}
    totals = dict.fromkeys(
        ("events", "viewers_peak", "cards_pushed", "applications", "applicants", "hires"), 0
    )
    for event_id in await events.event_ids():
        view = await events.event_view(event_id)
        counters = await applications.counters(event_id)
        per_employer: dict[str, dict[str, int]] = {}
        for job in await events.jobs(event_id):
            numbers = {
                "jobs": 1,
                "openings": job.openings or 0,
                "applications": counters.get(keys.job_applications(job.id), 0),
                "hires": counters.get(keys.job_hires(job.id), 0),
            }
            _add(per_employer, job.employer, numbers)
            _add(everywhere, job.employer, numbers)
        purged = await purged_at(events.conn, event_id)
        row: dict[str, Any] = {
            "event_id": event_id,
            "title": view.event.title,
            "state": str(view.state),
            "purged_at": values.iso(purged) if purged else None,
            "viewers_peak": counters.get(keys.Counter.VIEWERS_PEAK, 0),
            "cards_pushed": counters.get(keys.Counter.CARDS_PUSHED, 0),
            "applications": counters.get(keys.Counter.APPLICATIONS, 0),
            "applicants": counters.get(keys.Counter.APPLICANTS, 0),
            "hires": counters.get(keys.Counter.HIRES, 0),
            "employers": [e.to_wire() for e in _rows(per_employer, every=every_employer)],
        }
        fair, per_employer_retention = await event_retention(events, event_id, now=now)
        row["retention"] = fair.to_wire()
        retention_all.add(fair)
        for name, kept in per_employer_retention.items():
            retention_employers.setdefault(name, RetentionFigures()).add(kept)
        figures = (await attribution.figures(event_id)).to_wire()
        row["unique_viewers"] = figures["unique_viewers"]
        row["by_city"], row["by_channel"] = figures["by_city"], figures["by_channel"]
        for city_row in figures["by_city"]:
            into = cities.setdefault(city_row["city"], {})
            for key, value in city_row.items():
                if key != "city" and value is not None:
                    into[key] = into.get(key, 0) + value
        out_events.append(row)
        totals["events"] += 1
        for key in ("viewers_peak", "cards_pushed", "applications", "applicants", "hires"):
            totals[key] += int(row[key])
    shown = _rows(everywhere, every=every_employer)
    return {
        "events": out_events,
        "employers": [e.to_wire() for e in shown],
        "employers_not_shown": len(everywhere) - len(shown),
        "totals": totals,
        "retention": retention_all.to_wire(),
        "retention_by_employer": [
            {"employer": name, **kept.to_wire()}
            for name, kept in sorted(retention_employers.items())
        ],
        # Named cities first (by name), then the applications and jobs without a city.
        "by_city": [
            {"city": city, **numbers}
            for city, numbers in sorted(cities.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
    }
