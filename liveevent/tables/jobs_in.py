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
from liveevent.tables.headers import find_columns, header_key, hidden_row
from liveevent.tables.jobs_rows import JobRow, read_job_row
from liveevent.tables.sheet import DEFAULT_LIMITS, Deadline, Problem, SheetLimits, read_table

__all__ = ["JOB_FIELDS", "JobImport", "JobRow", "parse_job_sheet"]

# Header text (compared after `header_key`) -> field. Gathered from real sheets (the job-site
# exports in ../shared/datasets, fair and HR-system templates) in their short and long forms;
# docs/exports.md lists them. 序号 is deliberately absent: it numbers rows, it is not an id.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "employer": (
        # 单位 heads liveevent's own exports (office/layout.py): they must read back.
        "单位", "单位名称", "单位全称", "用人单位", "用人单位名称", "招聘单位", "招聘单位名称",
        "公司", "公司名称", "公司名字", "公司全称", "企业", "企业名称", "企业全称", "招聘企业",
        "招聘公司", "参会单位", "参会企业", "参会单位名称", "参会企业名称", "机构名称", "雇主",
        "employer", "company", "company name", "enterprise", "organization", "organisation",
    ),
    "title": (
        "岗位", "岗位名称", "职位", "职位名称", "招聘岗位", "招聘职位", "招聘岗位名称",
        "需求岗位", "岗位/职位", "职位/岗位", "工种", "职务", "标题",
        "title", "job", "job title", "position", "position title", "role",
    ),
    "openings": (
        "人数", "招聘人数", "需求人数", "岗位人数", "招聘名额", "名额", "计划招聘人数",
        "拟招人数", "招聘数量", "需求数量", "招收人数", "用工人数", "岗位需求人数",
        "openings", "headcount", "vacancies", "number of openings",
    ),
    "salary": (
        "薪资", "薪酬", "工资", "月薪", "待遇", "薪资待遇", "工资待遇", "薪酬待遇", "薪资范围",
        "薪资水平", "工资水平", "薪酬范围", "月薪范围", "薪水", "岗位薪资", "年薪", "薪资福利",
        "salary", "pay", "wage", "wages", "compensation",
    ),
    "location": (
        "地点", "工作地点", "城市", "工作城市", "工作地址", "工作地区", "地区", "所在地",
        "所在城市", "上班地点", "工作区域", "办公地点", "地址",
        "location", "city", "place", "work location", "address",
    ),
    "description": (
        "岗位描述", "岗位需求", "职位描述", "岗位职责", "职位要求", "任职要求", "岗位要求",
        "职位详情", "岗位详情", "岗位说明", "职位信息", "工作内容", "任职资格", "职责", "要求",
        "description", "job description", "requirements", "responsibilities", "details",
    ),
    "id": (
        "编号", "职位编号", "岗位编号", "岗位代码", "职位代码", "职位id", "岗位id",
        "id", "job id", "job_id", "job no",
    ),
}  # fmt: skip
JOB_FIELDS = tuple(_SYNONYMS)
_HEADER_TO_FIELD = {header_key(name): field for field, names in _SYNONYMS.items() for name in names}


@dataclass(frozen=True, slots=True)
class JobImport:
    """The outcome of reading a job sheet.

    ``rows`` are the postings to import, already merged; empty when there are ``problems`` and
    ``skip_invalid`` was not asked for. ``repairs`` lists what was fixed on the way (a value moved
    back to its column), for showing to the uploader. ``merged`` counts rows folded into an
    earlier posting. ``warnings`` do not stop the import: rows hidden in the workbook (skipped),
    a headcount that could not be read (the job imported with it unknown).
    """

    rows: tuple[JobRow, ...]
    problems: tuple[Problem, ...]
    repairs: tuple[Problem, ...] = ()
    merged: int = 0
    warnings: tuple[Problem, ...] = ()

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
    Repeated header rows and blank rows are skipped silently; rows the workbook hides are
    skipped with a warning each (offices hide cancelled jobs rather than delete them).
    ``limits`` bound the read (see `SheetLimits`); ``deadline`` defaults to ``limits.budget_s``
    from now. Raises a `TableError`: `EmptyTableError`, `TableTooLargeError` (naming the
    limit), `TableTimeoutError`, `UnreadableTableError`, `NoHeaderError` (no row names the
    employer and title columns) or `BadMappingError`.
    """
    deadline = deadline or Deadline(limits.budget_s)
    table = read_table(
        data, filename_or_content_type=filename_or_content_type, limits=limits, deadline=deadline
    )
    grid = table.grid
    columns = find_columns(
        grid,
        synonyms=_HEADER_TO_FIELD,
        mapping=mapping,
        required=[frozenset({"employer", "title"})],
        describe_needed=(
            "no header row names the employer and the job title; the file needs columns such "
            "as 单位/公司名称 (employer) and 岗位/职位名称 (title), and may have 人数/招聘人数, "
            "薪资, 地点/工作地点, 岗位描述, 编号"
        ),
    )
    good: list[JobRow] = []
    problems: list[Problem] = []
    repairs: list[Problem] = []
    warnings: list[Problem] = []
    for index in range(columns.row_index + 1, len(grid)):
        row = grid[index]
        if index % 256 == 0:
            deadline.check()
        if not any(cell.strip() for cell in row) or columns.is_repeat(row):
            continue
        if index + 1 in table.hidden_rows:
            warnings.append(hidden_row(index + 1))
            continue
        read = read_job_row(row, columns, source_row=index + 1)
        repairs.extend(read.repairs)
        warnings.extend(read.warnings)
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
        warnings=tuple(warnings),
    )


def _merge(jobs: list[JobRow], *, id_column: str | None) -> tuple[list[JobRow], int, list[Problem]]:
    """Fold rows that are the same posting into the first of them.

    A row identical to an earlier one (the same listing pasted or scraped twice) adds nothing.
    Otherwise the headcounts of both are added up, each end on its own (an unknown count adds
    nothing; a range with no top leaves the sum with no top) and blank fields are filled from
    the later row.
    """
    by_key: dict[tuple[str, str, str], int] = {}
    first_of: dict[tuple[str, str, str], JobRow] = {}
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
        if key not in by_key:
            by_key[key] = len(merged)
            first_of[key] = job
            merged.append(job)
            continue
        count += 1
        # The rows of this key so far, each without its row number, made only once a key
        # repeats: a copy per row cost 0.4 s of a 100,000-row sheet's 4 s.
        if key not in seen:
            seen[key] = {replace(first_of[key], source_row=0)}
        same = replace(job, source_row=0)
        if same in seen[key]:
            continue
        seen[key].add(same)
        first = merged[by_key[key]]
        low, high = _add_headcounts(first, job)
        pay = first if first.salary is not None else job
        merged[by_key[key]] = replace(
            first,
            openings=low,
            openings_max=high,
            salary=pay.salary,
            salary_range=pay.salary_range,
            description=first.description or job.description,
            id=first.id or job.id,
        )
    return merged, count, problems


def _add_headcounts(first: JobRow, later: JobRow) -> tuple[int | None, int | None]:
    """(low, high) of two postings' headcounts together; an unknown one adds nothing."""
    if later.openings is None and later.openings_max is None:
        return first.openings, first.openings_max
    if first.openings is None and first.openings_max is None:
        return later.openings, later.openings_max
    lows = (first.openings, later.openings)
    low = None if lows == (None, None) else sum(n or 0 for n in lows)
    highs = (first.openings_max, later.openings_max)
    high = None if None in highs else sum(n or 0 for n in highs)
    return low, high
