"""Jobs an event presents: what a card shows and what applications point at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from liveevent.domain import values
from liveevent.errors import InvalidInput

JOB_FIELDS = frozenset(
    {
        "id",
        "employer",
        "title",
        "openings",
        "openings_max",
        "salary",
        "location",
        "description",
        "city",
    }
)
MAX_JOBS_PER_CALL = 2000
MAX_OPENINGS = 1_000_000


# ``Job.openings_max`` left out: the same as ``openings`` (an exact count), not an open range.
SAME_AS_OPENINGS = -1


@dataclass(frozen=True, slots=True)
class Job:
    """A job posting.

    Headcount: ``openings`` is how many people the job wants, or the low end of a range;
    ``openings_max`` the top end. An exact count has both equal (8 -> 8, 8); ``10-20人`` is
    10, 20; ``20人以上`` is 20, None; ``10人以内`` None, 10; unknown (``若干``) None, None.
    ``openings_max`` came after ``openings``: a client or a stored record that gives only
    ``openings`` means an exact count, so older records and clients read as before, and so
    does code that builds ``Job(id, employer, title, 8)``: left out, ``openings_max`` is
    ``openings`` (``SAME_AS_OPENINGS``); an open top end must be asked for with ``None``.
    Build it from a request with ``parse`` (which raises ``InvalidInput``); the constructor checks
    nothing and raises nothing.
    """

    id: str
    employer: str
    title: str
    openings: int | None = None
    salary: str | None = None
    location: str | None = None
    description: str | None = None
    openings_max: int | None = -1  # SAME_AS_OPENINGS
    # The city (or region) of a two-city fair the job is in (issue 16); None: not given.
    # ``location`` stays the free-text address; the same employer and title in two cities
    # are two jobs, with two ids.
    city: str | None = None

    def __post_init__(self) -> None:
        if self.openings_max == SAME_AS_OPENINGS:
            object.__setattr__(self, "openings_max", self.openings)

    @classmethod
    def parse(cls, data: object, *, new_id: str) -> Job:
        """Validate one job object from a client; ``new_id`` is used when it has no ``id``.

        ``employer`` and ``title`` 1-100 characters, ``salary`` and ``location`` up to 100,
        ``description`` up to 4000, ``city`` up to 20, ``openings`` and ``openings_max``
        0-``MAX_OPENINGS``.
        Raises ``InvalidInput`` naming every bad field at once (or every unknown one), and
        ``openings_max`` when it is below ``openings``.
        """
        body = values.only_fields(data, JOB_FIELDS, what="job")
        checks: dict[str, Callable[[], Any]] = {
            "id": lambda: values.identifier(body, "id") if body.get("id") is not None else new_id,
            "employer": lambda: values.text(body, "employer", max_len=100),
            "title": lambda: values.text(body, "title", max_len=100),
            "openings": lambda: values.count(body, "openings", maximum=MAX_OPENINGS),
            "salary": lambda: values.optional_text(body, "salary", max_len=100),
            "location": lambda: values.optional_text(body, "location", max_len=100),
            "description": lambda: values.optional_text(body, "description", max_len=4000),
            "city": lambda: values.optional_text(body, "city", max_len=20),
        }
        if "openings_max" in body:
            checks["openings_max"] = lambda: values.count(
                body, "openings_max", maximum=MAX_OPENINGS
            )
        parsed = values.check_all(checks, what="job")
        if "openings_max" not in body:
            parsed["openings_max"] = parsed["openings"]  # an exact count, as before the range
        elif parsed["openings"] is not None and parsed["openings_max"] is not None:
            if parsed["openings_max"] < parsed["openings"]:
                why = "must not be below openings"
                raise InvalidInput(f"openings_max {why}", fields={"openings_max": why})
        return cls(**parsed)

    def to_record(self) -> dict[str, Any]:
        """The stored form, also the wire form (``to_wire``): every field by name, absent
        values as None. Raises nothing."""
        return {
            "id": self.id,
            "employer": self.employer,
            "title": self.title,
            "openings": self.openings,
            "openings_max": self.openings_max,
            "salary": self.salary,
            "location": self.location,
            "description": self.description,
            "city": self.city,
        }

    to_wire = to_record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        """The inverse of ``to_record``; a record without ``openings_max`` (older) reads as an
        exact count. Raises ``KeyError`` for one without ``id``, ``employer`` or ``title``."""
        return cls(
            id=record["id"],
            employer=record["employer"],
            title=record["title"],
            openings=record.get("openings"),
            openings_max=record.get("openings_max", record.get("openings")),
            salary=record.get("salary"),
            location=record.get("location"),
            description=record.get("description"),
            city=record.get("city"),
        )

    def with_id(self, job_id: str) -> Job:
        """A copy with ``id`` replaced (not checked here). Raises nothing."""
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


# A headcount in words, as people write it on a job sheet. One table per language, mirrored by
# ``static/i18n/*.js`` (``headcount.*``) so that files, ``liveevent watch`` and the pages say the
# same; ``tests/data/headcounts.json`` runs one set of cases against both. ``short`` is for a
# column or a label that already says "openings" (招聘人数: 10-20人); the full phrase stands alone.
_HEADCOUNT_WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "exact": "{n}人",
        "range": "{low}-{high}人",
        "at_least": "{n}人以上",
        "at_most": "{n}人以内",
        "unknown": "若干人",
        "full": "招{short}",
        "full_one": "招1人",
        "full_unknown": "招若干人",
    },
    "en": {
        "exact": "{n}",
        "range": "{low}-{high}",
        "at_least": "{n}+",
        "at_most": "up to {n}",
        "unknown": "not given",
        "full": "{short} openings",
        "full_one": "1 opening",
        "full_unknown": "openings: not given",
    },
}
HEADCOUNT_LANGS = tuple(_HEADCOUNT_WORDS)


def headcount_text(
    openings: int | None, openings_max: int | None, *, lang: str = "zh-CN", short: bool = False
) -> str:
    """A job's headcount as people write it: ``招10-20人``, ``招20人以上``, ``招若干人``;
    English ``10-20 openings``, ``20+ openings``, ``openings: not given``.

    ``openings``/``openings_max`` are the two ends as `Job` holds them (``None`` for an open
    end; both ``None`` for unknown; equal for an exact count). ``short`` drops the verb for a
    place already labelled "openings" (``10-20人``, ``20+``). ``lang`` is ``zh-CN`` or ``en``;
    raises ``ValueError`` for any other.
    """
    try:
        words = _HEADCOUNT_WORDS[lang]
    except KeyError:
        raise ValueError(f"lang must be one of {', '.join(HEADCOUNT_LANGS)}") from None
    low, high = openings, openings_max
    if low is None and high is None:
        return words["unknown"] if short else words["full_unknown"]
    if low is None:
        text = words["at_most"].format(n=high)
    elif high is None:
        text = words["at_least"].format(n=low)
    elif low == high:
        if low == 1 and not short:
            return words["full_one"]
        text = words["exact"].format(n=low)
    else:
        text = words["range"].format(low=low, high=high)
    return text if short else words["full"].format(short=text)
