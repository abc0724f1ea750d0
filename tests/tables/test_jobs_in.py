import datetime as dt
import io

import openpyxl
import pytest

from liveevent.tables.errors import (
    BadMappingError,
    EmptyTableError,
    NoHeaderError,
    TableTooLargeError,
    UnreadableTableError,
)
from liveevent.tables.jobs_in import JobRow, parse_job_sheet
from liveevent.tables.sheet import Problem, SheetLimits


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def test_gbk_file_with_chinese_headers() -> None:
    data = csv_bytes(
        "公司名称,职位名称,招聘人数,薪资,工作地点\n"
        "深圳腾讯,前端工程师,招8人,2.5-5万/月,深圳-南山区\n"
        "阿里巴巴,测试工程师,招若干人,面议,杭州\n",
        "gbk",
    )
    result = parse_job_sheet(data)
    assert result.ok
    first, second = result.rows
    assert (first.employer, first.title, first.openings, first.location) == (
        "深圳腾讯",
        "前端工程师",
        8,
        "深圳-南山区",
    )
    assert first.salary == "2.5-5万/月"
    assert first.salary_range is not None and first.salary_range.low_cny_month == 25000
    assert (second.openings, second.salary, second.salary_range) == (None, "面议", None)


def test_the_hires_export_reads_back_as_a_job_sheet() -> None:
    # liveevent's own 录用统计 export heads the employer column 单位: staff who edit that file
    # and import it for the next fair must not be told no column names the employer.
    data = csv_bytes(
        "\ufeff单位,岗位编号,岗位名称,招聘人数,报名数,录用数\n顺丰速运,j1,快递员,20,3,1\n"
    )
    result = parse_job_sheet(data)
    assert result.ok
    (row,) = result.rows
    assert (row.employer, row.id, row.title, row.openings) == ("顺丰速运", "j1", "快递员", 20)


def test_bom_utf8_with_english_headers_in_any_case() -> None:
    text = " Company ,TITLE,Headcount,City,ID\nACME,Welder,3,Wuhan,J-1\n"
    data = b"\xef\xbb\xbf" + csv_bytes(text)
    (row,) = parse_job_sheet(data).rows
    assert row == JobRow("ACME", "Welder", 3, None, "Wuhan", None, "J-1", 2, openings_max=3)


def test_gb18030_only_character_is_read() -> None:
    data = csv_bytes("单位名称,岗位名称,岗位描述\n某公司,质检员,熟悉流程✓\n", "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    (row,) = parse_job_sheet(data).rows
    assert row.description == "熟悉流程✓"


def test_repeated_headers_and_blank_lines_are_skipped_and_rows_keep_file_numbers() -> None:
    data = csv_bytes("公司名称,职位名称\n甲公司,焊工\n\n公司名称,职位名称\n,\n乙公司,电工\n")
    result = parse_job_sheet(data)
    assert result.ok
    assert [(row.employer, row.source_row) for row in result.rows] == [("甲公司", 2), ("乙公司", 6)]


def test_quoted_newline_stays_in_the_description() -> None:
    data = csv_bytes('公司名称,职位名称,岗位需求\n甲,焊工,"1. 持证上岗\n2. 能倒班"\n乙,电工,\n')
    first, second = parse_job_sheet(data).rows
    assert first.description == "1. 持证上岗\n2. 能倒班"
    assert second.source_row == 3  # records, as Excel numbers them, not physical lines


def test_full_width_digits() -> None:
    data = csv_bytes("公司名称,职位名称,招聘人数,薪资\n甲,焊工,招１２人,６－８千／月\n")
    (row,) = parse_job_sheet(data).rows
    assert row.openings == 12
    assert row.salary_range is not None and row.salary_range.high_cny_month == 8000


def test_headcount_shifted_into_another_column_is_moved_back() -> None:
    data = csv_bytes(
        "标题,公司名字,城市,学历,招聘人数\n"
        "前端,字节跳动,北京,招2人,\n"  # the 51job shift: headcount under 学历
        "后端,字节跳动,北京,本科,招3人\n"
    )
    result = parse_job_sheet(data)
    assert result.ok
    assert [row.openings for row in result.rows] == [2, 3]
    assert result.repairs == (Problem(2, "学历", "moved '招2人' to the 招聘人数 column"),)


def test_stray_value_that_cannot_be_moved_is_reported() -> None:
    data = csv_bytes("公司名称,职位名称,城市,招聘人数\n甲,焊工,招2人,招3人\n")
    result = parse_job_sheet(data)
    assert not result.ok and result.rows == ()
    (problem,) = result.problems
    assert (problem.row, problem.column) == (2, "城市")
    assert "shifted" in problem.message


def test_stray_in_an_ignored_column_is_left_alone_when_the_headcount_is_there() -> None:
    data = csv_bytes("公司名称,职位名称,备注,招聘人数\n甲,焊工,招2人,招3人\n")
    (row,) = parse_job_sheet(data).rows
    assert row.openings == 3


def test_xlsx_with_serial_dates_and_numeric_cells() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2024春季招聘会岗位表"])  # a title line above the header
    sheet.append(["编号", "企业名称", "岗位", "人数", "发布时间", "工资"])
    sheet.append([1001, "甲公司", "焊工", 5, dt.datetime(2024, 3, 1, 9, 30), 8000])
    sheet.append([1002.0, "乙公司", "电工", None, 45352, "面议"])
    sheet["E3"].number_format = "yyyy-mm-dd hh:mm"
    buffer = io.BytesIO()
    book.save(buffer)
    result = parse_job_sheet(buffer.getvalue(), filename_or_content_type="jobs.xlsx")
    assert result.ok
    first, second = result.rows
    assert (first.id, first.openings, first.salary, first.source_row) == ("1001", 5, "8000", 3)
    assert (second.id, second.openings) == ("1002", None)


def test_bad_row_means_nothing_is_imported() -> None:
    data = csv_bytes("公司名称,职位名称,招聘人数\n甲,焊工,2\n,电工,1\n丙,钳工,很多\n")
    result = parse_job_sheet(data)
    assert not result.ok
    assert result.rows == ()
    assert [(problem.row, problem.column) for problem in result.problems] == [(3, "公司名称")]
    # A headcount that is not one is a warning, never a reason to refuse the sheet (issue 14).
    assert [(problem.row, problem.column) for problem in result.warnings] == [(4, "招聘人数")]


def test_skip_invalid_returns_good_rows_and_the_report() -> None:
    data = csv_bytes("公司名称,职位名称,招聘人数\n甲,焊工,2\n,电工,1\n丙,钳工,很多\n")
    result = parse_job_sheet(data, skip_invalid=True)
    assert [(row.employer, row.openings) for row in result.rows] == [("甲", 2), ("丙", None)]
    assert len(result.problems) == 1 and len(result.warnings) == 1


def test_limits_on_lengths() -> None:
    data = csv_bytes(f"公司名称,职位名称,岗位描述\n甲,{'焊' * 101},ok\n乙,电工,{'x' * 4001}\n")
    problems = parse_job_sheet(data).problems
    assert [(problem.row, problem.column) for problem in problems] == [
        (2, "职位名称"),
        (3, "岗位描述"),
    ]


def test_duplicates_are_merged_not_doubled() -> None:
    data = csv_bytes(
        "公司名称,职位名称,招聘人数,工作地点\n"
        "飞书科技（上海）,焊工,招2人,上海\n"
        "飞书科技(上海),焊工 ,招3人,上海\n"  # same posting, other width and spacing
        "飞书科技(上海),焊工,招3人,上海\n"  # the same line again adds nothing
        "飞书科技(上海),焊工,,上海\n"  # unknown headcount adds nothing either
        "飞书科技(上海),焊工,招1人,北京\n"  # another place is another posting
    )
    result = parse_job_sheet(data)
    assert [(row.location, row.openings, row.source_row) for row in result.rows] == [
        ("上海", 5, 2),
        ("北京", 1, 6),
    ]
    assert result.merged == 3


def test_one_id_on_two_postings_is_a_problem() -> None:
    data = csv_bytes("编号,公司名称,职位名称\nA1,甲,焊工\nA1,乙,电工\n")
    (problem,) = parse_job_sheet(data).problems
    assert (problem.row, problem.column) == (3, "编号")


def test_explicit_mapping_wins() -> None:
    data = csv_bytes("甲方,活儿,职位\n甲公司,焊工,J7\n")
    result = parse_job_sheet(data, mapping={"甲方": "employer", "活儿": "title", "职位": "id"})
    (row,) = result.rows
    assert (row.employer, row.title, row.id) == ("甲公司", "焊工", "J7")


def test_mapping_to_unknown_field_or_missing_column() -> None:
    data = csv_bytes("公司名称,职位名称\n甲,焊工\n")
    with pytest.raises(BadMappingError):
        parse_job_sheet(data, mapping={"公司名称": "boss"})
    with pytest.raises(BadMappingError):
        parse_job_sheet(data, mapping={"工种": "title"})


def test_no_header_says_which_columns_are_needed() -> None:
    with pytest.raises(NoHeaderError) as caught:
        parse_job_sheet(csv_bytes("姓名,年龄\n张三,30\n"))
    assert "公司名称" in str(caught.value) and "职位名称" in str(caught.value)
    assert caught.value.needed == ("employer", "title")


@pytest.mark.parametrize("data", [b"", b"  \r\n", b"\r\n,,\r\n"])
def test_empty_files(data: bytes) -> None:
    with pytest.raises(EmptyTableError):
        parse_job_sheet(data)


def test_too_large() -> None:
    with pytest.raises(TableTooLargeError):
        parse_job_sheet(b"a" * (10 * 1024 * 1024 + 1))
    with pytest.raises(TableTooLargeError):
        parse_job_sheet(
            csv_bytes("公司名称,职位名称\n" + "甲,焊工\n" * 20), limits=SheetLimits(max_rows=10)
        )


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "jobs.xls"),
        (b"PK\x03\x04 not really a zip", "jobs.xlsx"),
        (b"\x81\x30\xff\xff\xff", None),
        (b"a,b\r\n", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_unreadable_files(data: bytes, hint: str | None) -> None:
    with pytest.raises(UnreadableTableError):
        parse_job_sheet(data, filename_or_content_type=hint)


@pytest.mark.parametrize("text", ["见附件", "急招", "一二人", "本科", "待沟通", "20-10人", "很多"])
def test_text_that_is_no_headcount_keeps_the_job_with_a_warning(text: str) -> None:
    data = csv_bytes(f"单位名称,岗位名称,招聘人数\n甲,焊工,2\n乙,电工,{text}\n")
    result = parse_job_sheet(data)
    assert result.problems == ()
    assert [(row.employer, row.openings, row.openings_max) for row in result.rows] == [
        ("甲", 2, 2),
        ("乙", None, None),
    ]
    (warning,) = result.warnings
    assert (warning.row, warning.column) == (3, "招聘人数")
    assert "headcount unknown" in warning.message


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        (["10-20人", "5"], 15, 25),
        (["20人以上", "3-5人"], 23, None),
        (["若干", "2~4"], 2, 4),
        (["10人以内", "3"], 3, 13),
    ],
)
def test_headcount_ranges_of_one_posting_add_up_end_by_end(
    counts: list[str], low: int | None, high: int | None
) -> None:
    lines = "".join(f"甲,焊工,{count},第{i}批\n" for i, count in enumerate(counts))
    (row,) = parse_job_sheet(csv_bytes(f"单位名称,岗位名称,招聘人数,岗位描述\n{lines}")).rows
    assert (row.openings, row.openings_max) == (low, high)
