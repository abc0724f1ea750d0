"""Ids that Excel turned into numbers, matched back to the ids they were (issue 14, part 2)."""

from __future__ import annotations

import pytest

from liveevent.tables.ids import ExcelNumber, KnownIds, excel_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("7", ExcelNumber(7)),
        ("007", ExcelNumber(7)),
        ("7.0", ExcelNumber(7)),
        ("7.000", ExcelNumber(7)),
        (" 42 ", ExcelNumber(42)),
        ("１２", ExcelNumber(12)),
        ("1.2E+01", ExcelNumber(12)),
        ("1.23457E+11", ExcelNumber(123457000000, digits=6)),
        ("4.2e5", ExcelNumber(420000, digits=2)),
        ("1.23456789012E+11", ExcelNumber(123456789012)),
        ("J-7", None),
        ("7.5", None),
        ("", None),
        ("1.25E+01", None),  # 12.5: not a whole number
    ],
)
def test_excel_number(text: str, number: ExcelNumber | None) -> None:
    assert excel_number(text) == number


KNOWN = KnownIds(["007", "0420", "123456789012", "J-1", "12", "5", "05", "123459999999"])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("007", "007"),  # as written
        ("7", "007"),
        ("7.0", "007"),
        ("420", "0420"),
        ("４２０", "0420"),
        ("J-1", "J-1"),
        ("12", "12"),  # an exact match wins
        ("1.23457E+11", "123456789012"),
    ],
)
def test_one_fitting_id_is_matched(cell: str, expected: str) -> None:
    assert KNOWN.match(cell, what="job").id == expected


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        ("5.0", "could be any of '05', '5'"),
        ("1.23E+11", "could be any of '123456789012', '123459999999'"),
        ("8", "no job '8' in this event"),
        ("J-2", "no job 'J-2' in this event"),
        ("9.87654E+11", "rounded the id to 6 digits"),
    ],
)
def test_no_or_several_fitting_ids_are_reported(cell: str, says: str) -> None:
    found = KNOWN.match(cell, what="job")
    assert found.id is None and says in found.why
