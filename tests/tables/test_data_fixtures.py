"""Import the synthetic job sheets in ``tests/data`` (see SOURCES.md there): each one holds the
hard features of one real file in ``../shared/datasets``, so a fresh clone tests them too.

``tests/tables/test_shared_datasets.py`` still runs on the real files where they are present.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl
import pytest

from liveevent.tables.jobs_in import JobImport, JobRow, parse_job_sheet
from tests.data import make_job_sheets as made

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> JobImport:
    path = DATA / name
    return parse_job_sheet(path.read_bytes(), filename_or_content_type=name)


def same_record(row: JobRow) -> tuple[object, ...]:
    return (row.employer, row.title, row.location, row.openings, row.salary, row.salary_range)


@pytest.mark.parametrize("name", made.FILES)
def test_the_files_are_what_the_script_writes(name: str, tmp_path: Path) -> None:
    made.FILES[name](tmp_path / name)
    if name.endswith(".xlsx"):  # a zip: compare the cells, not the bytes
        ours = openpyxl.load_workbook(DATA / name).active
        again = openpyxl.load_workbook(tmp_path / name).active
        assert ours is not None and again is not None
        assert list(ours.values) == list(again.values)
    else:
        assert (DATA / name).read_bytes() == (tmp_path / name).read_bytes()


def test_gbk_csv_and_excel_workbook_import_to_the_same_records() -> None:
    from_csv = load("jobs_51job_frontend_gbk.csv")
    from_xlsx = load("jobs_51job_frontend_excel.xlsx")
    assert from_csv.ok and from_xlsx.ok
    # Repeated header rows are skipped and repeated postings merged: one row per job.
    assert len(from_csv.rows) == made.FRONTEND_JOBS
    assert not any(row.title == "标题" for row in from_csv.rows)
    assert sorted(map(same_record, from_csv.rows)) == sorted(map(same_record, from_xlsx.rows))
    # The column-shifted rows (headcount under 学历) are put right, not rejected.
    assert len(from_csv.repairs) == len(made.FRONTEND_SHIFTED) == len(from_xlsx.repairs)
    by_title = {row.title: row for row in from_csv.rows}
    assert by_title["前端开发工程师05"].openings == 8  # 招8人 under 学历
    assert by_title["前端开发工程师17"].openings == 1  # 招1人 under 学历
    assert by_title["前端开发工程师00"].openings == 8  # 招8人
    assert by_title["前端开发工程师04"].openings is None  # a blank headcount
    assert by_title["前端开发工程师01"].salary == "20-30万/年"
    assert by_title["前端开发工程师01"].salary_range
    assert by_title["前端开发工程师00"].location == "深圳-南山区"


def test_the_workbook_holds_serial_dates_with_a_date_format() -> None:
    # What Excel saves: the publish time is a number shown through a date format; the reader
    # must take the row anyway (the time is not a field of a job).
    sheet = openpyxl.load_workbook(DATA / "jobs_51job_frontend_excel.xlsx").active
    assert sheet is not None
    cell = sheet.cell(row=2, column=11)
    assert isinstance(cell.value, datetime.datetime) and cell.number_format == "m/d/yy h:mm"
    header_rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "标题"]
    assert len(header_rows) == (made.FRONTEND_JOBS - 1) // made.FRONTEND_REPEAT_HEADER_EVERY


def test_utf8_csv_with_another_header_order() -> None:
    result = load("jobs_51job_bigdata_utf8.csv")
    assert result.ok and not result.repairs
    assert len(result.rows) == made.BIGDATA_JOBS
    first = next(row for row in result.rows if row.title == "大数据开发工程师00")
    # 公司名称 / 工作地点 / 工资 / 招聘人数 read from their own columns, wherever they are.
    assert first.employer == made.COMPANIES[0] and first.location == made.CITIES[0]
    assert first.salary == "1.8-3万/月" and first.openings == 8


def test_gb18030_with_four_byte_characters_an_index_column_and_long_descriptions() -> None:
    raw = (DATA / "jobs_boss_mixed_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gbk")  # the file is GB18030 proper, as SOURCES.md says of the original
    result = load("jobs_boss_mixed_gb18030.csv")
    assert result.ok
    assert len(result.rows) == made.BOSS_JOBS  # 36 rows, each posting 4 times
    described = [row.description or "" for row in result.rows]
    assert all("\n" in d and "✓" in d and "𠀀" in d for d in described)
    salaries = {row.salary for row in result.rows}
    assert {"10000-18000", "12000以上", "面议"} <= salaries
    assert all(row.salary_range for row in result.rows if row.salary == "10000-18000")
