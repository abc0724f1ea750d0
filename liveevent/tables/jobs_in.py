"""Import an event's jobs from a CSV or XLSX file an HR office or a job site produced.

Theory of operation: `read_sheet` turns the bytes into a grid of text; `find_columns` finds the
header and which column is which field; then every data row is checked on its own
(`jobs_rows.read_job_row`), which yields either a `JobRow` or problems; finally postings that are
the same job (employer + title + location, compared case- and width-insensitively) are merged.
Nothing is half-imported: unless the caller asks for ``skip_invalid``, one bad row means no rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from liveevent.tables.cells import fold
from liveevent.tables.headers import find_columns
from liveevent.tables.jobs_rows import JobRow, read_job_row
from liveevent.tables.sheet import DEFAULT_LIMITS, Deadline, Problem, SheetLimits, read_sheet

__all__ = ["JOB_FIELDS", "JobImport", "JobRow", "parse_job_sheet"]

# Header text (compared after `fold`) -> field.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "employer": (
        # 单位 heads liveevent's own exports (office/layout.py): they must read back.
        "公司名称", "公司名字", "公司", "单位", "单位名称", "企业名称", "用人单位", "招聘单位",
        "employer", "company", "company name",
    ),
    "title": (
        "职位名称", "岗位名称", "标题", "职位", "岗位", "招聘岗位", "招聘职位",
        "title", "job", "job title", "position",
    ),
    "openings": ("招聘人数", "人数", "需求人数", "招聘名额", "openings", "headcount"),
    "salary": ("薪资", "工资", "工资待遇", "薪资待遇", "薪酬", "月薪", "salary", "pay"),
    "location": ("工作地点", "城市", "地点", "工作城市", "工作地址", "location", "city"),
    "description": (
        "岗位描述", "岗位需求", "职位描述", "岗位职责", "职位要求", "任职要求", "description",
    ),
    "id": ("编号", "职位编号", "岗位编号", "id", "job id"),
}  # fmt: skip
JOB_FIELDS = tuple(_SYNONYMS)
_HEADER_TO_FIELD = {fold(name): field for field, names in _SYNONYMS.items() for name in names}


@dataclass(frozen=True, slots=True)
class JobImport:
    """The outcome of reading a job sheet.

    ``rows`` are the postings to import, already merged; empty when there are ``problems`` and
    ``skip_invalid`` was not asked for. ``repairs`` lists what was fixed on the way (a value moved
    back to its column), for showing to the uploader. ``merged`` counts rows folded into an
    earlier posting.
    """

    rows: tuple[JobRow, ...]
    problems: tuple[Problem, ...]
    repairs: tuple[Problem, ...] = ()
    merged: int = 0

    @property
    def ok(self) -> bool:
        """True when every row of the file was read without a problem."""
        return not self.problems


def parse_job_sheet(
    data: bytes,
    *,
    filename_or_content_type: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    limits: SheetLimits = DEFAULT_LIMITS,
    deadline: Deadline | None = None,
) -> JobImport:
    """Read the jobs in a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or XLSX file.

    ``mapping`` maps header text to a field in `JOB_FIELDS` and wins over the built-in synonyms.
    Repeated header rows and blank rows are skipped silently. ``limits`` bound the read (see
    `SheetLimits`); ``deadline`` defaults to ``limits.budget_s`` from now. Raises a `TableError`:
    `EmptyTableError`, `TableTooLargeError` (naming the limit), `TableTimeoutError`,
    `UnreadableTableError`, `NoHeaderError` (no row names the employer and title columns) or
    `BadMappingError`.
    """
    deadline = deadline or Deadline(limits.budget_s)
    grid = read_sheet(
        data, filename_or_content_type=filename_or_content_type, limits=limits, deadline=deadline
    )
    columns = find_columns(
        grid,
        synonyms=_HEADER_TO_FIELD,
        mapping=mapping,
        required=[frozenset({"employer", "title"})],
        describe_needed=(
            "no header row names the employer and the job title; the file needs columns such "
            "as 公司名称 (employer) and 职位名称 (title), and may have 招聘人数, 薪资, 工作地点, "
            "岗位描述, 编号"
        ),
    )
    good: list[JobRow] = []
    problems: list[Problem] = []
    repairs: list[Problem] = []
    for index in range(columns.row_index + 1, len(grid)):
        row = grid[index]
        if index % 256 == 0:
            deadline.check()
        if not any(cell.strip() for cell in row) or columns.is_repeat(row):
            continue
        read = read_job_row(row, columns, source_row=index + 1)
        repairs.extend(read.repairs)
        if read.problems:
            problems.extend(read.problems)
        elif read.job is not None:
            good.append(read.job)
    id_column = columns.label(columns.index_of["id"]) if "id" in columns.index_of else None
    merged, merged_count, id_problems = _merge(good, id_column=id_column)
    problems.extend(id_problems)
    problems.sort(key=lambda problem: problem.row)
    if problems and not skip_invalid:
        merged = []
    return JobImport(
        rows=tuple(merged),
        problems=tuple(problems),
        repairs=tuple(repairs),
        merged=merged_count,
    )


def _merge(jobs: list[JobRow], *, id_column: str | None) -> tuple[list[JobRow], int, list[Problem]]:
    """Fold rows that are the same posting into the first of them.

    A row identical to an earlier one (the same listing pasted or scraped twice) adds nothing.
    Otherwise the openings of both are added up (an unknown count adds nothing to a known one)
    and blank fields are filled from the later row.
    """
    by_key: dict[tuple[str, str, str], int] = {}
    seen: dict[tuple[str, str, str], set[JobRow]] = {}
    merged: list[JobRow] = []
    problems: list[Problem] = []
    id_rows: dict[str, tuple[tuple[str, str, str], int]] = {}
    count = 0
    for job in jobs:
        key = (fold(job.employer), fold(job.title), fold(job.location or ""))
        if job.id is not None:
            earlier = id_rows.setdefault(fold(job.id), (key, job.source_row))
            if earlier[0] != key:
                problems.append(
                    Problem(
                        job.source_row, id_column, f"id {job.id!r} is also used on row {earlier[1]}"
                    )
                )
                continue
        same = replace(job, source_row=0)
        if key not in by_key:
            by_key[key] = len(merged)
            seen[key] = {same}
            merged.append(job)
            continue
        count += 1
        if same in seen[key]:
            continue
        seen[key].add(same)
        first = merged[by_key[key]]
        openings = first.openings
        if job.openings is not None:
            openings = job.openings + (openings or 0)
        pay = first if first.salary is not None else job
        merged[by_key[key]] = replace(
            first,
            openings=openings,
            salary=pay.salary,
            salary_range=pay.salary_range,
            description=first.description or job.description,
            id=first.id or job.id,
        )
    return merged, count, problems
