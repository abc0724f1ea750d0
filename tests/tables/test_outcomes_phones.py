"""Phones in an employer's outcome sheet (issue 14): every form of the shared table, in CSV and
XLSX, reads as the stored form, so an applicant is matched however the employer wrote the
number; every refused form is a problem for its row that names the phone column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from liveevent.tables.outcomes_in import parse_outcome_sheet

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "phones.json").read_text(encoding="utf-8")
)
ACCEPTED: list[dict[str, Any]] = TABLE["accepted"]
# A sheet cell is text (or a number, read as its digits): JSON null and booleans have no cell.
# A sheet's cells are trimmed, so long padding around a good number is no longer too long.
REFUSED: list[dict[str, Any]] = [
    c for c in TABLE["refused"] if isinstance(c["input"], str) and c["kind"] != "long padding"
]
HEADER = ["手机号", "职位编号", "结果"]


def csv_sheet(phones: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([phone, "j1", "录用"] for phone in phones)
    return out.getvalue().encode("utf-8")


def xlsx_sheet(phones: list[str]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for phone in phones:
        sheet.append([phone, "j1", "录用"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_safe(text: str) -> bool:
    """openpyxl refuses control characters other than tab and newline in a cell."""
    return not any(ord(c) < 32 and c not in "\t\n\r" for c in text)


@pytest.mark.parametrize(("make", "kind"), [(csv_sheet, "sheet.csv"), (xlsx_sheet, "sheet.xlsx")])
def test_every_accepted_form_reads_as_the_stored_form(make: Any, kind: str) -> None:
    cases = [c for c in ACCEPTED if kind.endswith("csv") or xlsx_safe(c["input"])]
    parsed = parse_outcome_sheet(make([c["input"] for c in cases]), filename_or_content_type=kind)
    assert parsed.problems == ()
    assert [row.phone for row in parsed.rows] == [c["stored"] for c in cases]


@pytest.mark.parametrize(("make", "kind"), [(csv_sheet, "sheet.csv"), (xlsx_sheet, "sheet.xlsx")])
def test_every_refused_form_is_a_problem_naming_the_phone_column(make: Any, kind: str) -> None:
    cases = [c for c in REFUSED if kind.endswith("csv") or xlsx_safe(c["input"])]
    parsed = parse_outcome_sheet(make([c["input"] for c in cases]), filename_or_content_type=kind)
    assert parsed.rows == ()
    for row, case in enumerate(cases, start=2):
        said = [(p.column, p.message) for p in parsed.problems if p.row == row]
        named = any(column == "手机号" and case["reason"] in why for column, why in said)
        # A blank cell (empty, spaces, format characters only) is no phone at all: the row then
        # lacks a way to find the application.
        blank = case["reason"] == "is required" and any(
            column is None and "needs an application id" in why for column, why in said
        )
        assert named or blank, (case["kind"], said)
