import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from liveevent.tables.csv_out import format_row
from liveevent.tables.errors import TableTooLargeError
from liveevent.tables.xlsx_out import XlsxBook, xlsx_value

ROWS: list[list[object]] = [
    [1, "张三", "=1+1", 3.5, dt.datetime(2024, 3, 1, 9, 30)],
    [2, "李四", "-x", None, dt.datetime(2024, 3, 2, 10, 0)],
    [12345678901234567, "ok\x01", "@me", -4, dt.datetime(2024, 3, 3, 11, 0)],
]


def write_book(target: io.BytesIO) -> None:
    with XlsxBook(target) as book:
        sheet = book.add_sheet("申请", ["编号", "姓名", "备注", "分数", "时间"], widths=[8, 12])
        for row in ROWS:
            sheet.append(row)
        hires = book.add_sheet("录用", ["职位", "人数"])
        hires.append(["焊工", 3])


def test_round_trip_types_frozen_header_and_escaping() -> None:
    buffer = io.BytesIO()
    write_book(buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["申请", "录用"]
    sheet = book["申请"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert sheet.auto_filter.ref == "A1:E4"
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        [1, "张三", "'=1+1", 3.5, dt.datetime(2024, 3, 1, 9, 30)],
        [2, "李四", "'-x", None, dt.datetime(2024, 3, 2, 10, 0)],
        ["12345678901234567", "ok", "'@me", -4, dt.datetime(2024, 3, 3, 11, 0)],
    ]
    assert sheet["A2"].data_type == "n" and sheet["D2"].data_type == "n"
    assert [[cell.value for cell in row] for row in book["录用"].iter_rows()] == [
        ["职位", "人数"],
        ["焊工", 3],
    ]


def test_xlsx_and_csv_show_the_same_text_cells() -> None:
    text_row: list[object] = ["=HYPERLINK(1)", "+86138", "平常", 7]
    buffer = io.BytesIO()
    with XlsxBook(buffer) as book:
        book.add_sheet("t", ["a", "b", "c", "d"]).append(text_row)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["t"]
    from_xlsx = [str(cell.value) for cell in sheet[2]]
    (from_csv,) = csv.reader(io.StringIO(format_row(text_row), newline=""))
    assert from_xlsx == from_csv


def test_a_failed_export_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(RuntimeError), XlsxBook(target) as book:
        book.add_sheet("t", ["a"]).append([1])
        raise RuntimeError("store went away")
    assert not target.exists()


@pytest.mark.parametrize("name", ["", "a" * 32, "a/b", "x[1]", "'q'"])
def test_sheet_names_excel_refuses(name: str) -> None:
    book = XlsxBook(io.BytesIO())
    with pytest.raises(ValueError):
        book.add_sheet(name, ["a"])
    book.discard()


def test_duplicate_sheet_name_and_wrong_row_length() -> None:
    book = XlsxBook(io.BytesIO())
    sheet = book.add_sheet("申请", ["a", "b"])
    with pytest.raises(ValueError):
        book.add_sheet("申请", ["a"])
    with pytest.raises(ValueError):
        sheet.append([1])
    book.discard()


def test_excel_row_limit() -> None:
    book = XlsxBook(io.BytesIO())
    sheet = book.add_sheet("t", ["a"])
    sheet.rows = 1_048_576  # as if full; writing a million rows here would take too long
    with pytest.raises(TableTooLargeError):
        sheet.append([1])
    book.discard()


def test_cell_values() -> None:
    assert xlsx_value(7) == 7 and xlsx_value(True) is True and xlsx_value(None) is None
    assert xlsx_value(10**15) == "1000000000000000"
    assert xlsx_value("x" * 40_000) == "x" * 32_767


# Rows with two date-time columns each: (created, changed), around midnight and the year's end.
DATED_ROWS = [
    (dt.datetime(2026, 11, 30, 23, 59, 59), dt.datetime(2026, 12, 1, 0, 0, 0)),
    (dt.datetime(2026, 12, 31, 23, 59, 59), dt.datetime(2027, 1, 1, 0, 0, 0)),
    (dt.datetime(2028, 2, 29, 12, 0, 0), dt.datetime(1970, 1, 1, 8, 0, 0)),
    (dt.datetime(2026, 3, 8, 3, 0, 0), dt.datetime(2026, 3, 8, 1, 59, 59)),
]


@pytest.mark.parametrize("count", [1, 2, len(DATED_ROWS)])
def test_date_times_are_date_cells_each_with_its_own_value(count: int) -> None:
    buffer = io.BytesIO()
    with XlsxBook(buffer) as book:
        sheet = book.add_sheet("times", ["编号", "创建", "修改"], widths=[6, 20, 20])
        for n, (created, changed) in enumerate(DATED_ROWS[:count]):
            sheet.append([f"00{n}", created, changed])
    read = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["times"]
    rows = list(read.iter_rows(min_row=2))
    assert [(r[0].value, r[1].value, r[2].value) for r in rows] == [
        (f"00{n}", *times) for n, times in enumerate(DATED_ROWS[:count])
    ]
    for row in rows:
        assert row[0].data_type == "s"
        for cell in row[1:]:
            assert cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss"
    assert read.column_dimensions["B"].width == 20
