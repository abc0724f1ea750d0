"""Employers' outcome sheets: who was interviewed, offered, hired, turned down.

Each row is matched to one application, by application id or by phone + job (a job id, or a
title that names exactly one application of that phone). A row that matches nothing, or more
than one application, is reported with the reason and never guessed. Ids that Excel turned
into numbers (job ``007`` saved as ``7``, application ``1`` as ``1.0``) are matched back when
exactly one id fits (``liveevent.tables.ids``); when several do, the reason says so. Matched
rows go through ``ApplicationLog.change_status``, so every change lands in the status stream
with who, when, from and to. A dry run reports the same changes without making them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from liveevent.domain.applications import Status
from liveevent.errors import Conflict, NotFound
from liveevent.office.jobs import problem_wire, table_error
from liveevent.office.sheet_process import SheetReader
from liveevent.store import lookup
from liveevent.store.applications import ApplicationLog
from liveevent.store.events import EventStore
from liveevent.store.purge import purged_at
from liveevent.tables.cells import fold
from liveevent.tables.errors import TableError
from liveevent.tables.ids import KnownIds, excel_number
from liveevent.tables.outcomes_in import OutcomeRow
from liveevent.tables.sheet import Problem


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    row: int
    application_id: str
    job_id: str
    before: Status
    after: Status

    @property
    def changed(self) -> bool:
        return self.before is not self.after

    def to_wire(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "application_id": self.application_id,
            "job_id": self.job_id,
            "from": str(self.before),
            "to": str(self.after),
            "changed": self.changed,
        }


@dataclass(slots=True)
class OutcomesReport:
    """What an outcome sheet changed (or, in a dry run, would change). No phones in it."""

    dry_run: bool
    rows: int = 0
    changes: list[OutcomeChange] = field(default_factory=list)
    unmatched: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "changed": sum(1 for c in self.changes if c.changed),
            "unchanged": sum(1 for c in self.changes if not c.changed),
            "changes": [c.to_wire() for c in self.changes],
            "unmatched": [problem_wire(p) for p in self.unmatched],
            "problems": [problem_wire(p) for p in self.problems],
            "warnings": [problem_wire(p) for p in self.warnings],
        }


async def import_outcomes(
    events: EventStore,
    applications: ApplicationLog,
    event_id: str,
    data: bytes,
    *,
    by: str,
    now: int,
    role: str | None = None,
    dry_run: bool = False,
    reader: SheetReader,
    content_type: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> OutcomesReport:
    """Match and apply (unless ``dry_run``) the outcomes in a sheet; returns the report.

    Each change, and the audit entry, names ``by`` (the caller's grant name) and ``role``
    (stored when given). The sheet is read off the loop within ``reader``'s limits. Raises
    ``BodyTooLarge`` (413) for a file over a size limit and ``InvalidInput`` (422) for one that
    cannot be read as an outcome sheet (or not within the time budget); nothing changes then.
    """
    await events.event_view(event_id)
    try:
        sheet = await reader.read_outcomes(data, content_type=content_type, mapping=mapping)
    except TableError as exc:
        raise table_error(exc) from exc
    report = OutcomesReport(dry_run=dry_run, rows=len(sheet.rows) + len(sheet.problems))
    report.problems.extend(sheet.problems)
    report.warnings.extend(sheet.warnings)
    matcher = _Matcher(events, event_id, purged=await purged_at(events.conn, event_id) is not None)
    await matcher.load_jobs()
    current: dict[str, Status] = {}  # this sheet's earlier rows, for a dry run's "from"
    for row in sheet.rows:
        found = await matcher.match(row)
        if isinstance(found, Problem):
            report.unmatched.append(found)
            continue
        application_id, job_id = found
        try:
            before = current.get(application_id) or await applications.status_of(
                event_id, application_id
            )
        except NotFound:
            report.unmatched.append(Problem(row.source_row, None, "no such application"))
            continue
        target = Status(row.status)
        if not dry_run and before is not target:
            try:
                before, _ = await applications.change_status(
                    event_id, application_id, target, by=by, now=now, role=role
                )
            except Conflict:
                before = target  # someone set it meanwhile: nothing to change
        current[application_id] = target
        report.changes.append(OutcomeChange(row.source_row, application_id, job_id, before, target))
    if not dry_run:
        entry: dict[str, Any] = {"what": "outcomes import", "by": by, "at": now}
        entry.update(rows=report.rows, **({"role": role} if role else {}))
        entry["changed"] = sum(1 for c in report.changes if c.changed)
        await applications.audit(event_id, entry)
    return report


class _Matcher:
    def __init__(self, events: EventStore, event_id: str, *, purged: bool) -> None:
        self.events = events
        self.event_id = event_id
        self.purged = purged
        self.job_ids = KnownIds(())
        self.by_title: dict[str, list[str]] = {}

    async def load_jobs(self) -> None:
        jobs = await self.events.jobs(self.event_id)
        self.job_ids = KnownIds(job.id for job in jobs)
        for job in jobs:
            self.by_title.setdefault(fold(job.title), []).append(job.id)

    async def application(self, application_id: str) -> tuple[str, str] | str:
        """(application id, its job id) for an id as the sheet has it, or why there is none.

        Application ids are whole numbers written without leading zeros, so an id that Excel
        turned into ``1.0`` or ``１`` is read back as ``1``; one it rounded (``1.23457E+11``)
        cannot be, and the reason says so.
        """
        conn = self.events.conn
        job_id = await lookup.application_job(conn, self.event_id, application_id)
        if job_id is not None:
            return application_id, job_id
        number = excel_number(application_id)
        if number is not None and number.digits is None and str(number.value) != application_id:
            job_id = await lookup.application_job(conn, self.event_id, str(number.value))
            if job_id is not None:
                return str(number.value), job_id
        if number is not None and number.digits is not None:
            return (
                f"no application {application_id!r} in this event: Excel rounded the id to "
                f"{number.digits} digits; format the column as text and write the id in full"
            )
        return f"no application {application_id!r} in this event"

    async def match(self, row: OutcomeRow) -> tuple[str, str] | Problem:
        """(application id, job id), or the reason the row matches no single application."""

        def miss(why: str) -> Problem:
            return Problem(row.source_row, None, why)

        conn = self.events.conn
        if row.application_id is not None:
            found_app = await self.application(row.application_id)
            if isinstance(found_app, str):
                return miss(found_app)
            application_id, job_id = found_app
            if row.job_id is not None and self.job_ids.match(row.job_id, what="job").id != job_id:
                return miss(f"application {row.application_id!r} is for another job")
            return application_id, job_id
        if row.job_id is not None:
            matched = self.job_ids.match(row.job_id, what="job")
            if matched.id is None:
                return miss(matched.why)
            candidates = [matched.id]
        else:
            candidates = self.by_title.get(fold(row.job_title or ""), [])
            if not candidates:
                return miss(f"no job titled {row.job_title!r} in this event")
        if self.purged:
            return miss("this event's phones were purged; match by application id")
        found = await lookup.application_by_phone(conn, self.event_id, candidates, row.phone or "")
        if not found:
            return miss("no application from this phone for this job")
        if len(found) > 1:
            return miss(f"this phone applied to {len(found)} jobs of that title; give the job id")
        if len(candidates) == 1:
            return found[0], candidates[0]
        return found[0], await lookup.application_job(conn, self.event_id, found[0]) or ""
