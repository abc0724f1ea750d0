"""Bytes of an uploaded CSV or XLSX file -> a grid of text cells.

`read_sheet` is the one entry point. It decides the format from the bytes, not from the name the
uploader gave (a ``.csv`` saved by Excel may really be a workbook, and the reverse), and it turns
every cell into text, so the row parsers see one shape whatever the file was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from liveevent.tables.errors import EmptyTableError, TableTooLargeError, UnreadableTableError

MAX_TABLE_BYTES = 10 * 1024 * 1024
MAX_TABLE_ROWS = 100_000

Grid = list[list[str]]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one row: ``row`` is 1-based as Excel shows it (the header included),
    ``column`` the column's header text (its letter if the header cell is blank; None when the
    problem is the whole row)."""

    row: int
    column: str | None
    message: str


_ZIP_MAGIC = b"PK\x03\x04"
# The pre-2007 binary .xls (an OLE2 compound file); openpyxl cannot read it.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_sheet(
    data: bytes,
    *,
    filename_or_content_type: str | None = None,
    max_bytes: int = MAX_TABLE_BYTES,
    max_rows: int = MAX_TABLE_ROWS,
) -> Grid:
    """Return the rows of the file's first sheet as lists of text (``""`` for a blank cell).

    Row ``i`` of the result is row ``i + 1`` as Excel shows it (blank rows are kept, so numbers
    match). Raises `EmptyTableError`, `TableTooLargeError` or `UnreadableTableError`.
    ``filename_or_content_type`` is only used to word error messages better.
    """
    if len(data) > max_bytes:
        raise TableTooLargeError(f"the file has {len(data)} bytes; the limit is {max_bytes}")
    if not data.strip():
        raise EmptyTableError("the file is empty")
    if data.startswith(_OLE2_MAGIC):
        raise UnreadableTableError(
            "this is an old binary Excel file (.xls); save it as .xlsx or CSV and try again"
        )
    if data.startswith(_ZIP_MAGIC):
        grid = _read_xlsx(data, max_rows=max_rows)
    else:
        hint = (filename_or_content_type or "").lower()
        if hint.endswith(".xlsx") or "spreadsheetml" in hint:
            raise UnreadableTableError("the file is named as XLSX but is not an XLSX workbook")
        grid = _read_csv(decode_text(data), max_rows=max_rows)
    if not any(any(cell.strip() for cell in row) for row in grid):
        raise EmptyTableError("the file holds no data, only blank rows")
    return grid


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: a BOM wins; else strict UTF-8; else GB18030 (which also reads GBK/GB2312).

    GB18030 rather than GBK because real files exported as "GBK" contain characters (such as ✓)
    that only GB18030 can encode. Raises `UnreadableTableError` when nothing fits.
    """
    encodings: tuple[str, ...]
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)  # Excel's "Unicode text" export
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableTableError(
        "the file is not text in UTF-8 or GB18030 (GBK); save it as CSV UTF-8 or as XLSX"
    )


def _read_csv(text: str, *, max_rows: int) -> Grid:
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    delimiter = max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
    grid: Grid = []
    try:
        # newline="" keeps newlines inside quoted cells intact.
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False):
            grid.append(row)
            if len(grid) > max_rows:
                raise TableTooLargeError(f"the file has more than {max_rows} rows")
    except csv.Error as exc:
        raise UnreadableTableError(f"the CSV cannot be parsed: {exc}") from exc
    return grid


def _read_xlsx(data: bytes, *, max_rows: int) -> Grid:
    try:
        # openpyxl warns about harmless things some writers leave in (unknown extensions, data
        # validation); they say nothing about the cells and would be errors under pytest.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                grid: Grid = []
                blank_run = 0
                for values in sheet.iter_rows(values_only=True):
                    row = [cell_text(value) for value in values]
                    while row and not row[-1]:
                        row.pop()
                    grid.append(row)
                    blank_run = 0 if row else blank_run + 1
                    if len(grid) - blank_run > max_rows:
                        raise TableTooLargeError(f"the sheet has more than {max_rows} rows")
            finally:
                workbook.close()
    except TableTooLargeError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UnreadableTableError(f"the XLSX workbook cannot be read: {exc}") from exc
    # Formatted-but-empty rows at the bottom are common in Excel files; drop them.
    while grid and not grid[-1]:
        grid.pop()
    return grid


def cell_text(value: object) -> str:
    """One XLSX cell value as the text a person sees: dates as ISO, whole floats without ``.0``.

    Date cells arrive as `datetime` because openpyxl applies the cell's date number format to the
    Excel serial number.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        # Phone numbers and ids typed as numbers come back as floats: 13812345678.0.
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    return str(value)
