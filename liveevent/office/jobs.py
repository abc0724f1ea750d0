"""Importing an event's jobs from an HR office's CSV or XLSX sheet.

The sheet is read by ``liveevent.tables`` (encodings, synonyms, shifted cells, merging of
duplicate postings); here each ``JobRow`` becomes a domain ``Job`` and the lot is stored in one
step. A job without an id in the sheet gets a stable one derived from employer + title +
location, so importing the same (or a corrected) sheet again updates the jobs instead of
doubling them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput
from liveevent.store.events import EventStore
from liveevent.tables.cells import fold
from liveevent.tables.errors import BadMappingError, TableError
from liveevent.tables.jobs_in import JobRow, parse_job_sheet
from liveevent.tables.sheet import Problem


@dataclass(frozen=True, slots=True)
class JobsImported:
    created: int
    updated: int
    job_ids: tuple[str, ...]
    merged: int
    rejected: tuple[Problem, ...]
    repairs: tuple[Problem, ...]

    def to_wire(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "job_ids": list(self.job_ids),
            "merged": self.merged,
            "rejected": [problem_wire(p) for p in self.rejected],
            "repairs": [problem_wire(p) for p in self.repairs],
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


def table_error(exc: TableError) -> InvalidInput:
    """A whole-file fault from ``liveevent.tables`` as the client error the edge reports."""
    field = "mapping" if isinstance(exc, BadMappingError) else "file"
    return InvalidInput(str(exc), fields={field: str(exc)})


def stable_job_id(employer: str, title: str, location: str | None) -> str:
    """The same posting (compared as the importer merges them) always gets the same id."""
    key = "\x1f".join(fold(part) for part in (employer, title, location or ""))
    return "j" + hashlib.sha256(key.encode()).hexdigest()[:15]


def to_job(row: JobRow) -> Job:
    """Validate a sheet row as a domain job; raises ``InvalidInput`` naming the fields."""
    data: dict[str, Any] = {
        "employer": row.employer,
        "title": row.title,
        "openings": row.openings,
        "salary": row.salary,
        "location": row.location,
        "description": row.description,
    }
    new_id = stable_job_id(row.employer, row.title, row.location)
    if row.id is not None:
        data["id"] = row.id
    return Job.parse(data, new_id=new_id)


def read_jobs(
    data: bytes,
    *,
    content_type: str | None,
    mapping: Mapping[str, str] | None,
    skip_invalid: bool,
) -> tuple[list[Job], list[Problem], tuple[Problem, ...], int]:
    """(jobs, rejected rows, repairs, merged count) of a sheet.

    Raises ``InvalidInput`` for a file that cannot be read, and for any bad row unless
    ``skip_invalid`` (then the bad rows are returned, and only the good ones as jobs).
    """
    try:
        sheet = parse_job_sheet(
            data, filename_or_content_type=content_type, mapping=mapping, skip_invalid=True
        )
    except TableError as exc:
        raise table_error(exc) from exc
    problems = list(sheet.problems)
    jobs: list[Job] = []
    seen: dict[str, int] = {}
    for row in sheet.rows:
        try:
            job = to_job(row)
        except InvalidInput as exc:
            problems.extend(Problem(row.source_row, f, why) for f, why in exc.fields.items())
            continue
        if job.id in seen:
            why = f"id {job.id!r} is also used on row {seen[job.id]}"
            problems.append(Problem(row.source_row, "id", why))
            continue
        seen[job.id] = row.source_row
        jobs.append(job)
    problems.sort(key=lambda p: p.row)
    if problems and not skip_invalid:
        raise problems_error("nothing was imported", problems)
    return jobs, problems, sheet.repairs, sheet.merged


async def import_jobs(
    events: EventStore,
    event_id: str,
    data: bytes,
    *,
    content_type: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
) -> JobsImported:
    """Read a job sheet and upsert its jobs into ``event_id`` (all of them in one step)."""
    await events.event_view(event_id)  # NotFound before any work
    jobs, rejected, repairs, merged = read_jobs(
        data, content_type=content_type, mapping=mapping, skip_invalid=skip_invalid
    )
    created, updated = await events.upsert_jobs(event_id, jobs) if jobs else (0, 0)
    return JobsImported(
        created, updated, tuple(j.id for j in jobs), merged, tuple(rejected), repairs
    )
