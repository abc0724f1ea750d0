"""Jobs an event presents: what a card shows and what applications point at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from liveevent.domain import values
from liveevent.errors import InvalidInput

JOB_FIELDS = frozenset({"id", "employer", "title", "openings", "salary", "location", "description"})
MAX_JOBS_PER_CALL = 2000
MAX_OPENINGS = 1_000_000


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    employer: str
    title: str
    openings: int | None = None
    salary: str | None = None
    location: str | None = None
    description: str | None = None

    @classmethod
    def parse(cls, data: object, *, new_id: str) -> Job:
        """Validate one job object from a client; ``new_id`` is used when it has no ``id``."""
        body = values.only_fields(data, JOB_FIELDS, what="job")
        checks: dict[str, Callable[[], Any]] = {
            "id": lambda: values.identifier(body, "id") if body.get("id") is not None else new_id,
            "employer": lambda: values.text(body, "employer", max_len=100),
            "title": lambda: values.text(body, "title", max_len=100),
            "openings": lambda: values.count(body, "openings", maximum=MAX_OPENINGS),
            "salary": lambda: values.optional_text(body, "salary", max_len=100),
            "location": lambda: values.optional_text(body, "location", max_len=100),
            "description": lambda: values.optional_text(body, "description", max_len=4000),
        }
        return cls(**values.check_all(checks, what="job"))

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "employer": self.employer,
            "title": self.title,
            "openings": self.openings,
            "salary": self.salary,
            "location": self.location,
            "description": self.description,
        }

    to_wire = to_record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        return cls(
            id=record["id"],
            employer=record["employer"],
            title=record["title"],
            openings=record.get("openings"),
            salary=record.get("salary"),
            location=record.get("location"),
            description=record.get("description"),
        )

    def with_id(self, job_id: str) -> Job:
        return replace(self, id=job_id)


def parse_jobs(data: object, new_ids: list[str]) -> list[Job]:
    """Validate a JSON array of jobs; every problem is reported, keyed ``[index].field``.

    ``new_ids`` supplies an id for each job without one (at least ``len(data)`` of them).
    Raises ``InvalidInput`` if any job is bad, so nothing is stored half-way.
    """
    if not isinstance(data, list):
        raise InvalidInput("body must be a JSON array of jobs", fields={"body": "must be an array"})
    if not data or len(data) > MAX_JOBS_PER_CALL:
        why = f"must hold 1-{MAX_JOBS_PER_CALL} jobs"
        raise InvalidInput(f"body {why}", fields={"body": why})
    jobs: list[Job] = []
    problems: dict[str, str] = {}
    for index, item in enumerate(data):
        try:
            jobs.append(Job.parse(item, new_id=new_ids[index]))
        except InvalidInput as exc:
            for field, why in exc.fields.items():
                problems[f"[{index}].{field}"] = why
    seen: set[str] = set()
    for index, job in enumerate(jobs):
        if job.id in seen:
            problems[f"[{index}].id"] = "appears twice in this call"
        seen.add(job.id)
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s) in the jobs", fields=problems)
    return jobs
