"""The fair report and the report across fairs (issue 16, part 6), read from the store.

``fair_report`` gathers one fair's figures (``domain.fair_report.Figures``) for the overview,
each city, venue, channel and channel x city, each employer and each job; ``fairs_report`` one
overview per fair in a date range and their total. ``office/report_book.py`` writes them.

Where each number comes from (the same functions as the other views, so they agree):

    applications, applicants, hires, peak viewers, per job   the counters (``/stats``, exports)
    by city/channel/venue/channel x city, unique viewers    ``AttributionStore.figures`` (stats)
    intents, per employer                                    ``EmployerBook.figures`` (employer
                                                             page, staff progress view)
    check-ins per venue                                      ``VenueStore.checked_in`` (stats)
    jobs, employers, openings                                the event's jobs

No personal data: the report holds counts, job titles and employer names only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from liveevent.domain.applications import Status
from liveevent.domain.attribution import Dimension, EventFigures
from liveevent.domain.employers import employer_key
from liveevent.domain.events import LiveEvent
from liveevent.domain.fair_report import DateRange, Figures, add_up, job_totals, openings_of
from liveevent.domain.followups import RetentionFigures
from liveevent.domain.jobs import Job
from liveevent.office.retention import event_retention
from liveevent.store import keys
from liveevent.store.applications import ApplicationLog
from liveevent.store.attribution import AttributionStore
from liveevent.store.employers import EmployerBook
from liveevent.store.events import EventStore
from liveevent.store.venues import VenueStore


@dataclass(frozen=True, slots=True)
class ReportSources:
    """The store objects a report reads; build it with ``ReportSources.of``."""

    events: EventStore
    applications: ApplicationLog
    attribution: AttributionStore
    employers: EmployerBook
    venues: VenueStore

    @classmethod
    def of(cls, events: EventStore, applications: ApplicationLog) -> ReportSources:
        """Every reader on one connection (``events.conn``). Raises nothing."""
        return cls(
            events,
            applications,
            AttributionStore(events, applications),
            EmployerBook(events.conn, applications),
            VenueStore(events.conn),
        )


@dataclass(frozen=True, slots=True)
class Labelled:
    """A row of a report sheet: its ``label`` cells (city; employer; employer and job title...)
    and its ``figures``. Raises nothing."""

    label: tuple[object, ...]
    figures: Figures


@dataclass(frozen=True, slots=True)
class FairReport:
    """One fair's report: ``event``; ``overview``; ``by_city``, ``by_venue``, ``by_channel``,
    ``by_channel_city``, ``by_employer`` and ``by_job`` rows (``Labelled``). Raises nothing."""

    event: LiveEvent
    state: str
    overview: Figures
    by_city: list[Labelled] = field(default_factory=list)
    by_venue: list[Labelled] = field(default_factory=list)
    by_channel: list[Labelled] = field(default_factory=list)
    by_channel_city: list[Labelled] = field(default_factory=list)
    by_employer: list[Labelled] = field(default_factory=list)
    by_job: list[Labelled] = field(default_factory=list)
    # Retention after hire (issue 17 part 4, ``domain.followups``): the fair's, and each
    # employer's (by name as on its first job), at the time the report was made.
    retention: RetentionFigures = field(default_factory=RetentionFigures)
    retention_by_employer: dict[str, RetentionFigures] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """``{"event_id", "title", "starts_at", "state", "overview": Figures.to_wire(),
        "by_city": [{"label": [...], **figures}], ...}``. Raises nothing."""
        wire: dict[str, Any] = {
            "event_id": self.event.id,
            "title": self.event.title,
            "starts_at": self.event.starts_at,
            "state": self.state,
            "overview": self.overview.to_wire(),
        }
        for name in SECTIONS:
            rows: list[Labelled] = getattr(self, name)
            wire[name] = [{"label": list(r.label), **r.figures.to_wire()} for r in rows]
        wire["retention"] = self.retention.to_wire()
        wire["retention_by_employer"] = [
            {"employer": name, **kept.to_wire()}
            for name, kept in sorted(self.retention_by_employer.items())
        ]
        return wire


SECTIONS = ("by_city", "by_venue", "by_channel", "by_channel_city", "by_employer", "by_job")


def _dimension_rows(
    figures: EventFigures, dimension: Dimension, names: dict[str, str]
) -> list[Labelled]:
    """Rows of one dimension; a value without a name (the not-given row) is labelled None."""
    out = []
    for row in figures.rows.get(dimension, []):
        if row.value is None:
            label: tuple[object, ...] = (None,)
        elif dimension is Dimension.CHANNEL_CITY:
            channel, _, city = row.value.partition("|")
            label = (names.get(channel, channel), city)
        else:
            label = (names.get(row.value, row.value),)
        out.append(
            Labelled(
                label,
                Figures(
                    jobs=row.jobs,
                    openings=row.openings,
                    unique_viewers=row.viewers,
                    applications=row.applications,
                    applicants=row.applicants,
                    hires=row.hires,
                ),
            )
        )
    return out


async def fair_report(src: ReportSources, event_id: str) -> FairReport:
    """One fair's report (see the module for each number's source).

    Raises ``NotFound`` for an unknown event, ``StoreUnavailable``.
    """
    view = await src.events.event_view(event_id)
    jobs = await src.events.jobs(event_id)
    counters = await src.applications.counters(event_id)
    dims = await src.attribution.figures(event_id)
    by_job = await src.employers.figures(event_id, [job.id for job in jobs])
    checkins, by_venue_checkins = await src.venues.checked_in(event_id)
    venues = {v.id: v.name for v in await src.venues.venues(event_id)}

    def job_row(job: Job) -> Figures:
        fig = by_job.get(job.id)
        return Figures(
            employers=1,
            jobs=1,
            openings=openings_of(job),
            **{k: v for k, v in job_totals([job]).items() if k in ("ranged", "unknown")},
            applications=counters.get(keys.job_applications(job.id), 0),
            # One application per job and phone (the dedupe rule): a job's applicants.
            applicants=counters.get(keys.job_applications(job.id), 0),
            intents=fig.by_status.get(Status.INTENT, 0) if fig else 0,
            hires=counters.get(keys.job_hires(job.id), 0),
        )

    job_rows = [Labelled((job.employer, job.title, job.city, job.id), job_row(job)) for job in jobs]
    groups: dict[str, list[Labelled]] = {}
    for row in job_rows:
        groups.setdefault(employer_key(str(row.label[0])), []).append(row)
    employer_rows = []
    for rows in groups.values():
        total = add_up(r.figures for r in rows)
        # Applicants across an employer's jobs are not counted distinct: left empty.
        employer_rows.append(
            Labelled((rows[0].label[0],), _replace(total, employers=None, applicants=None))
        )
    totals = job_totals(jobs)
    overview = Figures(
        **totals,
        viewers_peak=counters.get(keys.Counter.VIEWERS_PEAK, 0),
        unique_viewers=dims.unique_viewers,
        checkins=checkins,
        applications=counters.get(keys.Counter.APPLICATIONS, 0),
        applicants=counters.get(keys.Counter.APPLICANTS, 0),
        intents=sum(f.by_status.get(Status.INTENT, 0) for f in by_job.values()),
        hires=counters.get(keys.Counter.HIRES, 0),
    )
    venue_rows = _dimension_rows(dims, Dimension.VENUE, venues)
    venue_rows = [
        Labelled(
            r.label,
            _replace(
                r.figures,
                checkins=by_venue_checkins.get(_venue_id(r.label[0], venues), 0)
                if r.label[0] is not None
                else None,
            ),
        )
        for r in venue_rows
    ]
    # Venues with check-ins but no applications yet get their row too.
    listed = {r.label[0] for r in venue_rows}
    for venue_id, name in venues.items():
        if name not in listed:
            venue_rows.append(
                Labelled(
                    (name,),
                    Figures(applications=0, hires=0, checkins=by_venue_checkins.get(venue_id, 0)),
                )
            )
    retention, retention_by_employer = await event_retention(
        src.events, event_id, now=int(time.time() * 1000)
    )
    return FairReport(
        event=view.event,
        state=str(view.state),
        overview=overview,
        by_city=_dimension_rows(dims, Dimension.CITY, {}),
        by_venue=venue_rows,
        by_channel=_dimension_rows(dims, Dimension.CHANNEL, dims.channel_names),
        by_channel_city=_dimension_rows(dims, Dimension.CHANNEL_CITY, dims.channel_names),
        by_employer=employer_rows,
        by_job=job_rows,
        retention=retention,
        retention_by_employer=retention_by_employer,
    )


def _venue_id(name: object, venues: dict[str, str]) -> str:
    return next((vid for vid, n in venues.items() if n == name), str(name))


def _replace(figures: Figures, **changes: int | None) -> Figures:
    wire = {k: v for k, v in figures.to_wire().items() if k != "ratio"}
    wire.update(changes)
    return Figures(**wire)


@dataclass(frozen=True, slots=True)
class FairsReport:
    """The report across fairs: ``range``; ``fairs`` (one ``FairReport`` each, oldest start
    first); ``total`` (their overviews added up, ``employers`` being distinct names across
    all fairs, and ``fairs`` their number). Raises nothing."""

    range: DateRange
    fairs: list[FairReport]
    total: Figures
    retention: RetentionFigures = field(default_factory=RetentionFigures)  # all fairs'

    def to_wire(self) -> dict[str, Any]:
        """``{"from", "to", "time_zone", "fairs": [{"event_id", "title", "starts_at",
        "state", **overview}], "total": {"fairs", **figures}}``. Raises nothing."""
        return {
            "from": self.range.first.isoformat(),
            "to": self.range.last.isoformat(),
            "time_zone": self.range.zone.key,
            "fairs": [
                {
                    "event_id": f.event.id,
                    "title": f.event.title,
                    "starts_at": f.event.starts_at,
                    "state": f.state,
                    **f.overview.to_wire(),
                    "retention": f.retention.to_wire(),
                }
                for f in self.fairs
            ],
            "total": {
                "fairs": len(self.fairs),
                **self.total.to_wire(),
                "retention": self.retention.to_wire(),
            },
        }


def starts(event: LiveEvent) -> int:
    """When a fair counts as held: its ``starts_at``, else its creation (Unix ms)."""
    return event.starts_at if event.starts_at is not None else event.created_at


async def fairs_report(src: ReportSources, days: DateRange) -> FairsReport:
    """Every fair that starts within ``days`` (``starts``), each with its report, and the total.

    Reads each fair's report in full (a few store round trips per fair). Raises
    ``StoreUnavailable``.
    """
    ids = await src.events.event_ids()
    views = await src.events.event_views(ids) if ids else []
    chosen = sorted(
        (v.event for v in views if days.holds(starts(v.event))), key=lambda e: (starts(e), e.id)
    )
    fairs = [await fair_report(src, event.id) for event in chosen]
    employers = {employer_key(str(r.label[0])) for f in fairs for r in f.by_employer}
    total = _replace(add_up(f.overview for f in fairs), employers=len(employers))
    retention = RetentionFigures()
    for fair in fairs:
        retention.add(fair.retention)
    return FairsReport(days, fairs, total, retention)
