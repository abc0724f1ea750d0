import io

import openpyxl
import pytest

from liveevent.tables.errors import NoHeaderError
from liveevent.tables.outcomes_in import OutcomeRow, parse_outcome_sheet, parse_status


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("录用", "hired"),
        ("已录用", "hired"),
        ("入职", "hired"),
        ("未录用", "rejected"),
        ("不合适", "rejected"),
        ("淘汰", "rejected"),
        ("面试", "interviewed"),
        ("offer", "offered"),
        ("已发Offer", "offered"),
        ("已联系", "contacted"),
        (" Hired ", "hired"),
        ("applied", "applied"),
    ],
)
def test_status_synonyms(word: str, status: str) -> None:
    assert parse_status(word) == status


def test_rows_by_application_id_or_phone_and_job() -> None:
    data = (
        "申请编号,手机号,职位编号,职位名称,结果\r\n"
        "A-1,,,,已录用\r\n"
        ",+86 138-1234-5678,J9,,不合适\r\n"
        ",13900001111,,焊工,面试\r\n"
    ).encode("gbk")
    result = parse_outcome_sheet(data)
    assert result.ok
    assert result.rows == (
        OutcomeRow("hired", "A-1", None, None, None, 2),
        OutcomeRow("rejected", None, "13812345678", "J9", None, 3),
        OutcomeRow("interviewed", None, "13900001111", None, "焊工", 4),
    )


def test_problems_by_row_and_column() -> None:
    data = (
        "手机,职位,状态\r\n"
        "138****5678,焊工,录用\r\n"  # a masked phone matches nobody
        "13900001111,焊工,待定\r\n"  # not a status we know
        "13900002222,,录用\r\n"  # no job
        "13900003333,电工,入职\r\n"
    ).encode()
    result = parse_outcome_sheet(data)
    assert [(problem.row, problem.column) for problem in result.problems] == [
        (2, "手机"),
        (3, "状态"),
        (4, None),
    ]
    assert [row.source_row for row in result.rows] == [5]


def test_xlsx_with_numeric_phone() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone", "job_id", "status"])
    sheet.append([13812345678, 7, "hired"])
    buffer = io.BytesIO()
    book.save(buffer)
    (row,) = parse_outcome_sheet(buffer.getvalue()).rows
    assert (row.phone, row.job_id, row.status) == ("13812345678", "7", "hired")


def test_a_sheet_without_status_or_identity_is_refused() -> None:
    with pytest.raises(NoHeaderError):
        parse_outcome_sheet("手机,结果\r\n13812345678,录用\r\n".encode())


def test_issue16_statuses_have_the_words_employers_write() -> None:
    # 放弃 is the applicant's "no" (declined), not the employer's (rejected).
    data = (
        "申请编号,结果\r\n"
        "1,达成意向\r\n"
        "2,本人放弃\r\n"
        "3,放弃\r\n"
        "4,未到场\r\n"
        "5,no-show\r\n"
        "6,不合适\r\n"
    ).encode()
    result = parse_outcome_sheet(data)
    assert result.ok, result.problems
    assert [row.status for row in result.rows] == [
        "intent",
        "declined",
        "declined",
        "no_show",
        "no_show",
        "rejected",
    ]
