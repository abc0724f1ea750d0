"""Employers at the table: their access, what they may set, and their progress.

Theory of operation: staff give an employer its own token (a ``Grant`` of role ``employer``,
``domain.access``) whose scope is the employer's name as written on its jobs. Names arrive
messy (a full-width bracket from one sheet, a space from another), so a name is matched by
``employer_key``: Unicode NFKC (full-width letters, digits and brackets become their usual
forms), every kind of white space removed, case folded. Nothing looser: two companies whose
names differ in a character are two employers. A name that no job of the event has is
refused (``match_employer``): its page would be empty, and it is nearly always a typo.

On its page an employer sets its own applicants' statuses (``EMPLOYER_STATUSES``): every
status but ``applied`` (a new application), so that corrections stay possible. Each change is
recorded like a staff change, with the grant's name and the role ``employer``.

Progress (``Progress``), for staff: per employer, its applications, intents, how many have an
outcome reported, how many are still open (no outcome yet) and when it last reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.applications import OPEN_STATUSES, Status
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput

MAX_CONTACT = 100
_SPACE = re.compile(r"\s+")

# What an employer may set on its page (not ``applied``: that is what a new one is).
EMPLOYER_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s is not Status.APPLIED)


def employer_key(name: str) -> str:
    """The form two employer names are compared in: NFKC, no white space, case folded.

    ``"顺丰速运（深圳） "`` and ``"顺丰速运(深圳)"`` have the same key. Raises nothing.
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()


@dataclass(frozen=True, slots=True)
class EmployerAccess:
    """A staff request for an employer's access: ``name`` (1-100 characters, as on its jobs,
    any spacing or width) and an optional ``contact`` (up to ``MAX_CONTACT``: a phone, an
    e-mail, a person), which the apply form's consent names. Built by ``parse``."""

    name: str
    contact: str | None

    @classmethod
    def parse(cls, data: object) -> EmployerAccess:
        """``{"name", "contact"?}``. Raises ``InvalidInput`` naming every bad or unknown
        field."""
        body = values.only_fields(data, frozenset({"name", "contact"}), what="body")
        parsed = values.check_all(
            {
                "name": lambda: values.text(body, "name", max_len=100),
                "contact": lambda: values.optional_text(body, "contact", max_len=MAX_CONTACT),
            },
            what="employer",
        )
        return cls(name=parsed["name"].strip(), contact=parsed["contact"])


def match_employer(name: str, jobs: Iterable[Job]) -> str:
    """The employer's name as its first job writes it, for a ``name`` with the same
    ``employer_key``. Raises ``InvalidInput`` naming ``name`` when no job has it."""
    key = employer_key(name)
    for job in jobs:
        if employer_key(job.employer) == key:
            return job.employer
    why = "no job of this event has this employer; import its jobs first"
    raise InvalidInput(f"name: {why}", fields={"name": why})


def own_jobs(scope: str, jobs: Iterable[Job]) -> list[Job]:
    """The jobs of the employer named ``scope`` (by ``employer_key``), in the order given.
    Raises nothing."""
    key = employer_key(scope)
    return [job for job in jobs if employer_key(job.employer) == key]


def parse_employer_status(data: object) -> Status:
    """The ``status`` of an employer's ``{"status"}`` body: one of ``EMPLOYER_STATUSES``.

    Raises ``InvalidInput`` naming ``status`` (and listing them) for any other."""
    raw = data.get("status") if isinstance(data, dict) else None
    for status in EMPLOYER_STATUSES:
        if raw == status.value:
            return status
    why = "must be one of " + ", ".join(s.value for s in EMPLOYER_STATUSES)
    raise InvalidInput(f"status {why}", fields={"status": why})


def mask_name(name: str) -> str:
    """``李卫国`` -> ``李**``: what an employer sees of an applicant who did not consent to it.

    Keeps the first character; raises nothing."""
    return name[:1] + "*" * max(0, len(name) - 1)


@dataclass(frozen=True, slots=True)
class Progress:
    """One employer's progress, for staff: ``applications`` to its jobs, ``intents`` (now in
    ``intent``), ``reported`` (with an outcome: any status but applied and intent), ``open``
    (the rest), ``hires``, ``last_report_at`` (Unix ms of the last status change on one of its
    applications, None if never), and ``has_access`` (how many employer tokens it holds).
    Built by ``progress``; raises nothing."""

    employer: str
    contact: str | None
    jobs: int
    applications: int
    intents: int
    reported: int
    open: int
    hires: int
    last_report_at: int | None
    tokens: int

    def to_wire(self) -> dict[str, Any]:
        """The JSON form (``last_report_at`` as ISO 8601 or None). Raises nothing."""
        return {
            "employer": self.employer,
            "contact": self.contact,
            "jobs": self.jobs,
            "applications": self.applications,
            "intents": self.intents,
            "reported": self.reported,
            "open": self.open,
            "hires": self.hires,
            "last_report_at": (
                values.iso(self.last_report_at) if self.last_report_at is not None else None
            ),
            "tokens": self.tokens,
        }


@dataclass(frozen=True, slots=True)
class JobFigures:
    """One job's figures from the store: ``applications``, and how many of them are now in
    each status other than ``applied`` (``by_status``), ``last_report_at`` (Unix ms or
    None). Raises nothing."""

    applications: int
    by_status: dict[Status, int]
    last_report_at: int | None


def progress(
    jobs: Iterable[Job],
    figures: dict[str, JobFigures],
    *,
    contacts: dict[str, str | None],
    tokens: dict[str, int],
) -> list[Progress]:
    """Every employer of ``jobs`` (grouped by ``employer_key``, named as its first job
    writes it), in the order of their first job, with its figures summed over its jobs.

    ``figures`` by job id (a job missing from it counts zero); ``contacts`` and ``tokens`` by
    ``employer_key``. Raises nothing.
    """
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(employer_key(job.employer), []).append(job)
    out = []
    empty = JobFigures(0, {}, None)
    for key, own in groups.items():
        figs = [figures.get(job.id, empty) for job in own]
        applications = sum(f.applications for f in figs)
        reported = sum(n for f in figs for s, n in f.by_status.items() if s not in OPEN_STATUSES)
        times = [f.last_report_at for f in figs if f.last_report_at is not None]
        out.append(
            Progress(
                employer=own[0].employer,
                contact=contacts.get(key),
                jobs=len(own),
                applications=applications,
                intents=sum(f.by_status.get(Status.INTENT, 0) for f in figs),
                reported=reported,
                open=applications - reported,
                hires=sum(f.by_status.get(Status.HIRED, 0) for f in figs),
                last_report_at=max(times) if times else None,
                tokens=tokens.get(key, 0),
            )
        )
    return out
