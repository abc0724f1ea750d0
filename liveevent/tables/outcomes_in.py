"""Read an employer's outcome sheet: who was interviewed, offered, hired or turned down.

This module only reads and checks the sheet. Matching a row to an application (by application
id, or by phone + job) is the store's business; a row here carries whatever it has of both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from liveevent.domain.phones import normalize_phone
from liveevent.errors import InvalidInput
from liveevent.tables.cells import clean, fold
from liveevent.tables.headers import Columns, find_columns, header_key, hidden_row
from liveevent.tables.sheet import DEFAULT_LIMITS, Deadline, Problem, SheetLimits, read_table

__all__ = [
    "OUTCOME_STATUSES",
    "OutcomeImport",
    "OutcomeRow",
    "OutcomeStatus",
    "parse_outcome_sheet",
]

OutcomeStatus = Literal[
    "applied", "intent", "contacted", "interviewed", "offered", "hired", "rejected", "declined",
    "no_show",
]  # fmt: skip
OUTCOME_STATUSES: tuple[OutcomeStatus, ...] = (
    "applied", "intent", "contacted", "interviewed", "offered", "hired", "rejected", "declined",
    "no_show",
)  # fmt: skip

# Header text (compared after `header_key`) -> field; docs/exports.md lists them.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "application_id": (
        "申请编号", "申请号", "申请id", "申请单号", "报名编号", "报名号", "报名id", "投递编号",
        "application_id", "application id", "application", "application no",
    ),
    "phone": (
        "手机", "电话", "手机号", "手机号码", "联系电话", "联系方式", "电话号码", "联系手机",
        "移动电话", "手机/电话", "phone", "mobile", "tel", "telephone", "phone number",
        "mobile number",
    ),
    "job_id": (
        "职位编号", "岗位编号", "岗位代码", "职位代码", "职位id", "岗位id", "job_id", "job id",
    ),
    "job_title": (
        "职位名称", "岗位名称", "职位", "岗位", "应聘岗位", "应聘职位", "申请职位", "申请岗位",
        "报名岗位", "投递岗位", "招聘岗位", "job", "title", "job title", "position",
    ),
    "status": (
        "状态", "结果", "招聘结果", "面试结果", "录用结果", "录用情况", "录用状态", "处理结果",
        "处理状态", "应聘状态", "申请状态", "进度", "status", "outcome", "result",
    ),
}  # fmt: skip
_HEADER_TO_FIELD = {header_key(name): field for field, names in _SYNONYMS.items() for name in names}

# Words employers write (compared after `fold`) -> status. Anything else is reported, not guessed.
_STATUS_WORDS: dict[OutcomeStatus, tuple[str, ...]] = {
    "applied": ("applied", "已报名", "已申请", "申请", "已投递", "投递", "待处理", "新申请"),
    "intent": ("intent", "达成意向", "有意向", "意向", "已达成意向"),
    "contacted": ("contacted", "已联系", "联系", "已沟通", "沟通中", "待面试", "已约面"),
    "interviewed": ("interviewed", "面试", "已面试", "面试中", "复试", "面试通过"),
    "offered": (
        "offered", "offer", "已发offer", "发offer", "拟录用", "录取通知", "已发录用通知",
        "已发录用",
    ),
    "hired": ("hired", "录用", "已录用", "入职", "已入职", "到岗", "已到岗"),
    "rejected": (
        "rejected", "not hired", "未录用", "不录用", "不合适", "淘汰", "已淘汰", "拒绝", "未通过",
        "面试未通过", "单位拒绝", "企业拒绝",
    ),
    # The applicant said no (an employer's own "no" is rejected, above).
    "declined": (
        "declined", "本人放弃", "放弃", "已放弃", "候选人放弃", "求职者放弃", "婉拒", "本人拒绝",
        "候选人拒绝", "求职者拒绝", "applicant declined",
    ),
    "no_show": (
        "no_show", "no show", "no-show", "未到场", "未到", "未到岗", "未报到", "爽约", "缺席",
        "未参加面试", "面试未到",
    ),
}  # fmt: skip
_WORD_TO_STATUS = {fold(word): status for status, words in _STATUS_WORDS.items() for word in words}


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One reported outcome. It has an ``application_id``, or a ``phone`` and a job (``job_id`` or
    ``job_title``), or both. ``phone`` is in the form applications are stored in (`normalize_phone`:
    11 digits for a mainland mobile, E.164 for any other), so any accepted way of writing it
    matches."""

    status: OutcomeStatus
    application_id: str | None
    phone: str | None
    job_id: str | None
    job_title: str | None
    source_row: int


@dataclass(frozen=True, slots=True)
class OutcomeImport:
    """The rows that could be read, a problem for each row that could not, and ``warnings`` for
    rows left out on purpose (hidden in the workbook)."""

    rows: tuple[OutcomeRow, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_status(text: str) -> OutcomeStatus | None:
    """``录用``/``已录用``/``入职`` -> hired, ``不合适`` -> rejected, ...; None if unknown."""
    return _WORD_TO_STATUS.get(fold(text))


def parse_outcome_sheet(
    data: bytes,
    *,
    filename_or_content_type: str | None = None,
    mapping: Mapping[str, str] | None = None,
    limits: SheetLimits = DEFAULT_LIMITS,
    deadline: Deadline | None = None,
) -> OutcomeImport:
    """Read an outcome sheet (CSV in UTF-8 or GBK/GB18030, or XLSX).

    Both the readable rows and the problems are returned; whether to apply the rows when some
    could not be read is the caller's choice. Raises a `TableError` for a file that cannot be
    read at all (or not within ``limits``: `TableTooLargeError`, `TableTimeoutError`) or that
    lacks a status column and a way to identify applications. Rows the workbook hides are
    skipped, each with a warning.
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
        required=[
            frozenset({"status", "application_id"}),
            frozenset({"status", "phone", "job_id"}),
            frozenset({"status", "phone", "job_title"}),
        ],
        describe_needed=(
            "no header row names a status column (状态/结果) and a way to find the application: "
            "申请编号 (application id), or 手机 (phone) with 职位编号 or 职位名称 (job)"
        ),
    )
    rows: list[OutcomeRow] = []
    problems: list[Problem] = []
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
        outcome = _read_row(row, columns, index + 1, problems)
        if outcome is not None:
            rows.append(outcome)
    return OutcomeImport(rows=tuple(rows), problems=tuple(problems), warnings=tuple(warnings))


def _read_row(
    row: Sequence[str], columns: Columns, source_row: int, problems: list[Problem]
) -> OutcomeRow | None:
    def cell(name: str) -> str:
        index = columns.index_of.get(name)
        return clean(row[index]) if index is not None and index < len(row) else ""

    def complain(name: str | None, message: str) -> None:
        index = columns.index_of.get(name) if name is not None else None
        label = columns.label(index) if index is not None else None
        problems.append(Problem(source_row, label, message))

    before = len(problems)
    status = parse_status(cell("status"))
    if status is None:
        known = "/".join(("录用", "未录用", "面试", "已发offer", "已联系", *OUTCOME_STATUSES))
        what = repr(cell("status")) if cell("status") else "the status is missing; it"
        complain("status", f"{what} is not a known status (use one of {known})")
    phone = None
    if cell("phone"):
        try:
            phone = normalize_phone(cell("phone"))
        except InvalidInput as exc:  # the reason, without the number: reports reach logs
            complain("phone", f"the phone {exc.fields['phone']}")
    application_id = cell("application_id") or None
    job_id, job_title = cell("job_id") or None, cell("job_title") or None
    if application_id is None and not (cell("phone") and (job_id or job_title)):
        complain(None, "the row needs an application id, or a phone and a job")
    if len(problems) > before or status is None:
        return None
    return OutcomeRow(
        status=status,
        application_id=application_id,
        phone=phone,
        job_id=job_id,
        job_title=job_title,
        source_row=source_row,
    )
