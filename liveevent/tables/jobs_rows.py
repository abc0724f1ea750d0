"""One data row of a job sheet -> a `JobRow`, or the problems that stop it being one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from liveevent.tables.cells import (
    UNKNOWN_HEADCOUNT,
    NotACount,
    SalaryRange,
    clean,
    clean_multiline,
    looks_like_headcount,
    looks_like_salary,
    parse_headcount,
    parse_salary,
)
from liveevent.tables.headers import Columns
from liveevent.tables.sheet import Problem

# Longest accepted value per field, in characters after trimming.
MAX_CHARS = {
    "employer": 100,
    "title": 100,
    "salary": 100,
    "location": 100,
    "description": 4000,
    "id": 100,
}


@dataclass(frozen=True, slots=True)
class JobRow:
    """One job posting read from a sheet.

    Text fields are trimmed but otherwise as written. ``openings`` and ``openings_max`` are the
    headcount's low and high ends (`parse_headcount`; as ``domain.jobs.Job``): 8 -> 8, 8;
    ``10-20人`` -> 10, 20; ``20人以上`` -> 20, None; unknown (``招若干人``, blank, or a cell that
    is not a headcount, which is then a warning) -> None, None. ``salary`` is the text to
    display; ``salary_range`` what could be read from it, in CNY per month (None for
    ``面议``). ``source_row`` is the file's row number (1-based, header included) of the first
    row that named this posting.
    """

    employer: str
    title: str
    openings: int | None
    salary: str | None
    location: str | None
    description: str | None
    id: str | None
    source_row: int
    salary_range: SalaryRange | None = None
    openings_max: int | None = None


@dataclass(slots=True)
class RowRead:
    """``problems`` stop the row; ``repairs`` and ``warnings`` are reported with it imported."""

    job: JobRow | None = None
    problems: list[Problem] = field(default_factory=list)
    repairs: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def read_job_row(row: Sequence[str], columns: Columns, *, source_row: int) -> RowRead:
    """Check one data row; a row with problems yields no `JobRow`."""
    cells = list(row) + [""] * (len(columns.names) - len(row))
    result = RowRead()
    _put_back_strays(cells, columns, source_row, result)

    def text(name: str) -> str:
        index = columns.index_of.get(name)
        if index is None:
            return ""
        value = clean_multiline(cells[index]) if name == "description" else clean(cells[index])
        if len(value) > MAX_CHARS[name]:
            result.problems.append(
                Problem(
                    source_row,
                    columns.label(index),
                    f"{len(value)} characters; at most {MAX_CHARS[name]} are allowed",
                )
            )
        return value

    employer, title = text("employer"), text("title")
    for name, value in (("employer", employer), ("title", title)):
        if not value:
            label = columns.label(columns.index_of[name])
            result.problems.append(Problem(source_row, label, f"the {name} is missing"))
    headcount = UNKNOWN_HEADCOUNT
    if "openings" in columns.index_of:
        index = columns.index_of["openings"]
        try:
            headcount = parse_headcount(cells[index])
        except NotACount as exc:
            # A note in one cell ("见附件", "急招") must not cost the job or the sheet: the job
            # is kept with its headcount unknown, and the uploader is told.
            why = f"{exc}; imported with the headcount unknown"
            result.warnings.append(Problem(source_row, columns.label(index), why))
    salary = text("salary") or None
    location, description, job_id = text("location"), text("description"), text("id")
    if result.problems:
        return result
    result.job = JobRow(
        employer=employer,
        title=title,
        openings=headcount.low,
        openings_max=headcount.high,
        salary=salary,
        location=location or None,
        description=description or None,
        id=job_id or None,
        source_row=source_row,
        salary_range=parse_salary(salary) if salary else None,
    )
    return result


def _put_back_strays(cells: list[str], columns: Columns, source_row: int, result: RowRead) -> None:
    """Move a headcount or salary that slid into another column back where it belongs.

    Real exports shift cells: 51job rows carry ``招2人`` in the 学历 column with the headcount
    column blank. The move is made only when it is unambiguous: exactly one stray value of that
    kind and its own column empty. A stray in a column that is itself a field is reported when it
    cannot be moved; one in a column the import ignores is then left alone (it may be a note).
    """
    field_at = {index: name for name, index in columns.index_of.items()}
    for target, looks_like in (("openings", looks_like_headcount), ("salary", looks_like_salary)):
        strays = [
            index
            for index, cell in enumerate(cells)
            if field_at.get(index) not in (target, "description") and cell and looks_like(cell)
        ]
        if not strays:
            continue
        home = columns.index_of.get(target)
        if home is not None and not cells[home].strip() and len(strays) == 1:
            (index,) = strays
            result.repairs.append(
                Problem(
                    source_row,
                    columns.label(index),
                    f"moved {cells[index].strip()!r} to the {columns.label(home)} column",
                )
            )
            cells[home], cells[index] = cells[index], ""
            continue
        for index in strays:
            if index in field_at:
                result.problems.append(
                    Problem(
                        source_row,
                        columns.label(index),
                        f"{cells[index].strip()!r} looks like a {target} value, not a "
                        f"{columns.label(index)}; is the row shifted?",
                    )
                )
