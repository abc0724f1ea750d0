"""Job and outcome sheets as offices save them (issue 14, part 2): merged cells, a false sheet
size, BOMs written twice, hidden rows. Each table holds several instances of one kind."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

import openpyxl
import pytest

from liveevent.tables.errors import TableTooLargeError
from liveevent.tables.jobs_in import parse_job_sheet
from liveevent.tables.outcomes_in import parse_outcome_sheet
from liveevent.tables.sheet import read_sheet

Cell = str | int | float | None


def xlsx(
    rows: Sequence[Sequence[Cell]],
    *,
    merges: Sequence[str] = (),
    hidden: Sequence[int] = (),
    dimension: str | None = None,
) -> bytes:
    """A workbook as Excel or WPS would save it: ``merges`` are ranges such as ``A2:A4`` (the
    value stays in the top-left cell only), ``hidden`` 1-based row numbers, ``dimension`` the
    ``<dimension ref>`` to claim instead of the true one ("" drops the element)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    out = io.BytesIO()
    book.save(out)
    if dimension is None:
        return out.getvalue()
    return _rewrite_dimension(out.getvalue(), dimension)


def _rewrite_dimension(data: bytes, ref: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                new = f'<dimension ref="{ref}"/>'.encode() if ref else b""
                body, count = re.subn(rb"<dimension [^>]*/>", new, body)
                assert count == 1
            target.writestr(item, body)
    return out.getvalue()


HEADER: list[Cell] = ["单位名称", "岗位名称", "招聘人数", "工作地点"]

# Each case: rows, merged ranges, and the (employer, title, location) the jobs must come out with.
MERGED: dict[str, tuple[list[list[Cell]], list[str], list[tuple[str, str, str]]]] = {
    "employer merged down over its jobs": (
        [
            HEADER,
            ["甲公司", "焊工", 2, "武汉"],
            [None, "电工", 1, "武汉"],
            [None, "钳工", 3, "武汉"],
        ],
        ["A2:A4"],
        [("甲公司", "焊工", "武汉"), ("甲公司", "电工", "武汉"), ("甲公司", "钳工", "武汉")],
    ),
    "two employers, each merged, and the place merged in the last column": (
        [
            HEADER,
            ["甲公司", "焊工", 2, "武汉"],
            [None, "电工", 1, None],
            ["乙公司", "会计", 1, "宜昌"],
            [None, "出纳", 1, None],
            [None, "文员", 2, None],
        ],
        ["A2:A3", "D2:D3", "A4:A6", "D4:D6"],
        [
            ("甲公司", "焊工", "武汉"),
            ("甲公司", "电工", "武汉"),
            ("乙公司", "会计", "宜昌"),
            ("乙公司", "出纳", "宜昌"),
            ("乙公司", "文员", "宜昌"),
        ],
    ),
    "a merged title above the header, employer merged below it": (
        [
            ["2026秋季招聘会岗位表", None, None, None],
            HEADER,
            ["丙集团", "司机", 5, "襄阳"],
            [None, "保安", 4, "襄阳"],
        ],
        ["A1:D1", "A3:A4"],
        [("丙集团", "司机", "襄阳"), ("丙集团", "保安", "襄阳")],
    ),
    "employer and title merged across a job's two rows of places": (
        [HEADER, ["丁公司", "普工", 10, "武汉"], [None, None, 10, "孝感"]],
        ["A2:A3", "B2:B3"],
        [("丁公司", "普工", "武汉"), ("丁公司", "普工", "孝感")],
    ),
}


@pytest.mark.parametrize("case", MERGED, ids=list(MERGED))
def test_merged_cells_give_their_value_to_every_cell(case: str) -> None:
    rows, merges, expected = MERGED[case]
    result = parse_job_sheet(xlsx(rows, merges=merges))
    assert result.problems == ()
    assert [(row.employer, row.title, row.location) for row in result.rows] == expected


def test_merged_cells_fill_outcome_sheets_too() -> None:
    data = xlsx(
        [["申请编号", "结果"], ["a1", "录用"], ["a2", None], ["a3", None]], merges=["B2:B4"]
    )
    result = parse_outcome_sheet(data)
    assert result.problems == ()
    assert [(row.application_id, row.status) for row in result.rows] == [
        ("a1", "hired"),
        ("a2", "hired"),
        ("a3", "hired"),
    ]


def test_a_forged_huge_merge_is_refused_not_filled() -> None:
    from liveevent.tables.sheet import SheetLimits  # here: the old code had no limits to set

    rows = [HEADER] + [["甲", f"岗{i}", 1, "武汉", "备注" if i == 0 else None] for i in range(20)]
    data = xlsx(rows, merges=["E2:IV21"])
    # 20 rows x 252 columns to fill; the room is 16 cells for each of the 25 rows allowed.
    with pytest.raises(TableTooLargeError) as info:
        read_sheet(data, limits=SheetLimits(max_rows=25, max_columns=256))
    assert info.value.limit == "max_sheet_rows"


# A false sheet size: WPS and streaming writers claim "A1"; some claim less than they hold.
@pytest.mark.parametrize("dimension", ["A1", "A1:A1", "A1:B2", "A1:D1"])
def test_a_false_sheet_size_is_not_believed(dimension: str) -> None:
    rows: list[list[Cell]] = [HEADER] + [[f"公司{i}", f"岗位{i}", i + 1, "武汉"] for i in range(30)]
    result = parse_job_sheet(xlsx(rows, dimension=dimension))
    assert result.problems == ()
    assert len(result.rows) == 30
    assert (result.rows[-1].employer, result.rows[-1].location) == ("公司29", "武汉")


# A BOM written twice (or once in a cell): in every encoding, at the start and in any cell.
BOMS = {
    "utf-8, twice": b"\xef\xbb\xbf" + "\ufeff单位,岗位\n甲,焊工\n".encode(),
    "utf-8, three times": b"\xef\xbb\xbf" + "\ufeff\ufeff单位,岗位\n甲,焊工\n".encode(),
    "utf-8 without one, one in a cell": "单位,\ufeff岗位\n\ufeff甲,焊工\n".encode(),
    "utf-16, twice": "\ufeff\ufeff单位,岗位\n甲,焊工\n".encode("utf-16-le").join(
        [b"\xff\xfe", b""]
    ),
    "gb18030's own bom": b"\x84\x31\x95\x33" + "单位,岗位\n甲,焊工\n".encode("gb18030"),
    "gb18030's bom, twice": b"\x84\x31\x95\x33" * 2 + "单位,岗位\n甲,焊工\n".encode("gb18030"),
}


@pytest.mark.parametrize("case", BOMS, ids=list(BOMS))
def test_boms_are_dropped_wherever_they_are(case: str) -> None:
    result = parse_job_sheet(BOMS[case])
    assert result.problems == ()
    assert [(row.employer, row.title) for row in result.rows] == [("甲", "焊工")]


def test_a_bom_inside_xlsx_cells_is_dropped() -> None:
    data = xlsx([["\ufeff单位名称", "岗位名称"], ["\ufeff\ufeff甲", "焊工\ufeff"]])
    (row,) = parse_job_sheet(data).rows
    assert (row.employer, row.title) == ("甲", "焊工")


# Hidden rows: skipped, each with a warning that names the row.
HIDDEN = {
    "one cancelled job": ([2], ["焊工", "钳工"]),
    "several, not together": ([1, 3], ["电工（已取消岗位，勿导入）"]),
    "all but one": ([1, 2], ["钳工"]),
}


@pytest.mark.parametrize("case", HIDDEN, ids=list(HIDDEN))
def test_hidden_rows_are_skipped_with_a_warning(case: str) -> None:
    hidden_data_rows, kept = HIDDEN[case]
    rows: list[list[Cell]] = [
        ["岗位表", None, None, None],
        HEADER,
        ["甲", "焊工", 1, "武汉"],
        ["甲", "电工（已取消岗位，勿导入）", 1, "武汉"],
        ["甲", "钳工", 1, "武汉"],
    ]
    hidden = [n + 2 for n in hidden_data_rows]  # data row 1 is Excel row 3
    result = parse_job_sheet(xlsx(rows, hidden=hidden))
    assert result.problems == ()
    assert [row.title for row in result.rows] == kept
    assert [warning.row for warning in result.warnings] == hidden
    assert all("hidden" in warning.message for warning in result.warnings)


def test_hidden_rows_of_an_outcome_sheet_are_skipped_with_a_warning() -> None:
    data = xlsx(
        [["申请编号", "结果"], ["a1", "录用"], ["a2", "录用"], ["a3", "未录用"]], hidden=[3]
    )
    result = parse_outcome_sheet(data)
    assert [row.application_id for row in result.rows] == ["a1", "a3"]
    assert [warning.row for warning in result.warnings] == [3]
