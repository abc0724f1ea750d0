"""Importing an event's jobs from an HR office's CSV or XLSX sheet.

The sheet is read by ``liveevent.tables`` (encodings, synonyms, shifted cells, merging of
duplicate postings) in a child process (``office.sheet_process``), where each ``JobRow`` also
becomes a domain ``Job``; here the lot is stored in one step. A job without an id in the sheet
gets a stable one derived from employer + title + location, so importing the same (or a
corrected) sheet again updates the jobs instead of doubling them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from liveevent.domain.attribution import place_jobs
from liveevent.domain.jobs import Job
from liveevent.errors import BodyTooLarge, ClientError, InvalidInput
from liveevent.office.sheet_process import JobSheet, SheetReader
from liveevent.store.events import EventStore
from liveevent.tables.errors import BadMappingError, TableError, TableTooLargeError
from liveevent.tables.ids import KnownIds, excel_number
from liveevent.tables.sheet import Problem


@dataclass(frozen=True, slots=True)
class JobsImported:
    created: int
    updated: int
    job_ids: tuple[str, ...]
    merged: int
    rejected: tuple[Problem, ...]
    repairs: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "job_ids": list(self.job_ids),
            "merged": self.merged,
            "rejected": [problem_wire(p) for p in self.rejected],
            "repairs": [problem_wire(p) for p in self.repairs],
            "warnings": [problem_wire(p) for p in self.warnings],
        }


def problem_wire(problem: Problem) -> dict[str, Any]:
    return {"row": problem.row, "column": problem.column, "message": problem.message}


def problems_error(message: str, problems: tuple[Problem, ...] | list[Problem]) -> InvalidInput:
    """``InvalidInput`` whose fields name each problem as ``row N: column``."""
    fields: dict[str, str] = {}
    for p in problems:
        key = f"row {p.row}" + (f": {p.column}" if p.column else "")
        fields[key] = f"{fields[key]}; {p.message}" if key in fields else p.message
    return InvalidInput(f"{message}: {len(problems)} problem(s)", fields=fields)


def table_error(exc: TableError) -> ClientError:
    """A whole-file fault from ``liveevent.tables`` as the client error the edge reports:
    ``BodyTooLarge`` (413) over a size limit, else ``InvalidInput`` (422). Either names the
    limit's setting in its message and under ``fields["file"]``."""
    if isinstance(exc, TableTooLargeError):
        return BodyTooLarge(str(exc), fields={"file": str(exc)})
    field = "mapping" if isinstance(exc, BadMappingError) else "file"
    return InvalidInput(str(exc), fields={field: str(exc)})


async def import_jobs(
    events: EventStore,
    event_id: str,
    data: bytes,
    *,
    reader: SheetReader,
    content_type: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
) -> JobsImported:
    """Read a job sheet (off the loop, within ``reader``'s limits) and upsert its jobs into
    ``event_id``, all of them in one step.

    Raises ``NotFound`` for an unknown event, ``BodyTooLarge`` (413) for a file over a size
    limit, ``InvalidInput`` (422) for one that cannot be read in the time budget or at all, and
    ``InvalidInput`` listing every bad row unless ``skip_invalid`` (then the good rows are
    stored and the bad ones reported). Nothing is stored when it raises.
    """
    view = await events.event_view(event_id)  # NotFound before any work
    try:
        sheet = await reader.read_jobs(data, content_type=content_type, mapping=mapping)
    except TableError as exc:
        raise table_error(exc) from exc
    if sheet.problems and not skip_invalid:
        raise problems_error("nothing was imported", sheet.problems)
    existing = await events.jobs(event_id)
    # A pass over every row: in a thread, so the loop keeps its turns on a 100,000-row sheet.
    jobs, renamed = await asyncio.to_thread(_ids_excel_mangled, sheet, existing)
    # Each job's city in the event's terms, from its place column (domain/attribution.py).
    jobs = place_jobs(jobs, view.event.cities)
    created, updated = await events.upsert_jobs(event_id, jobs) if jobs else (0, 0)
    return JobsImported(
        created,
        updated,
        tuple(j.id for j in jobs),
        sheet.merged,
        sheet.problems,
        sheet.repairs,
        sheet.warnings + renamed,
    )


def _ids_excel_mangled(
    sheet: JobSheet, existing: list[Job]
) -> tuple[list[Job], tuple[Problem, ...]]:
    """The sheet's jobs with ids that Excel turned into numbers (``007`` saved as ``7``) put
    back to the event's job they were, when exactly one fits; a warning for each id so read,
    and for each that could be several (it is then imported under the id as written)."""
    known = KnownIds(job.id for job in existing)
    taken = {job.id for job in sheet.jobs}
    out: list[Job] = []
    notes: list[Problem] = []
    rows = sheet.source_rows or (0,) * len(sheet.jobs)
    for job, row in zip(sheet.jobs, rows, strict=True):
        # Most ids are the importer's own ("j3f...") or known: one cheap test each.
        if not job.id[0].isdigit() or job.id in known.known or excel_number(job.id) is None:
            out.append(job)
            continue
        found = known.match(job.id, what="job")
        if found.id is not None and found.id not in taken:
            why = f"id {job.id!r} read as the event's job {found.id!r} (Excel drops leading zeros)"
            notes.append(Problem(row, "id", why))
            out.append(replace(job, id=found.id))
            taken.add(found.id)
            continue
        if len(found.candidates) > 1:
            notes.append(Problem(row, "id", f"{found.why}; imported as a new job {job.id!r}"))
        out.append(job)
    return out, tuple(notes)
