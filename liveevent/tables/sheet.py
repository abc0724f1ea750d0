"""Bytes of an uploaded CSV or XLSX file -> a grid of text cells.

`read_table` is the one entry point (`read_sheet` when only the cells matter). It decides the
format from the bytes, not from the name the uploader gave (a ``.csv`` saved by Excel may
really be a workbook, and the reverse), and it turns every cell into text, so the row parsers
see one shape whatever the file was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from liveevent.domain.text import strip_format_chars
from liveevent.tables.errors import (
    EmptyTableError,
    TableTimeoutError,
    TableTooLargeError,
    UnreadableTableError,
)
from liveevent.tables.xlsx_layout import apply_layout

MAX_TABLE_BYTES = 10 * 1024 * 1024
MAX_TABLE_ROWS = 100_000

Grid = list[list[str]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetLimits:
    """What one uploaded sheet may cost to read. Each is named after its setting in
    ``liveevent.config`` and an error over it names that setting.

    ``max_bytes``: the file as uploaded. ``max_unzipped_bytes``: an XLSX's members once
    decompressed, declared and actually read (a 5 KB zip can unzip to gigabytes).
    ``max_rows``: every row read counts, blank ones and the gaps between sparse rows included
    (a sheet can declare a million empty rows in a few bytes). ``max_columns``: the right-most
    column holding a value (padding up to a lone cell in column XFD costs 16,384 cells a row).
    ``budget_s``: wall-clock seconds for the whole read, checked between rows.
    """

    max_bytes: int = MAX_TABLE_BYTES
    max_unzipped_bytes: int = 128 * 1024 * 1024
    max_rows: int = MAX_TABLE_ROWS
    max_columns: int = 256
    budget_s: float = 120.0


DEFAULT_LIMITS = SheetLimits()


class Deadline:
    """The end of a read's time budget (``time.monotonic`` seconds)."""

    __slots__ = ("at", "budget_s")

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.at = time.monotonic() + budget_s

    def check(self) -> None:
        """Raise `TableTimeoutError` once the budget is spent."""
        if time.monotonic() > self.at:
            raise TableTimeoutError(
                f"the file took more than {self.budget_s:g} s to read (sheet_read_budget_s); "
                "split it into smaller files"
            )


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
# Checking the clock costs little, but not nothing: every this many rows.
_CHECK_EVERY = 256
_ZIP_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet as read: ``grid`` (see `read_table`) and ``hidden_rows``, the 1-based numbers of
    the rows the workbook hides (always empty for CSV)."""

    grid: Grid
    hidden_rows: frozenset[int] = frozenset()


def read_sheet(
    data: bytes,
    *,
    filename_or_content_type: str | None = None,
    limits: SheetLimits = DEFAULT_LIMITS,
    deadline: Deadline | None = None,
) -> Grid:
    """`read_table`'s grid (hidden rows included)."""
    return read_table(
        data, filename_or_content_type=filename_or_content_type, limits=limits, deadline=deadline
    ).grid


def read_table(
    data: bytes,
    *,
    filename_or_content_type: str | None = None,
    limits: SheetLimits = DEFAULT_LIMITS,
    deadline: Deadline | None = None,
) -> Table:
    """Read the file's first sheet: its rows as lists of text (``""`` for a blank cell), and
    which rows the workbook hides.

    Row ``i`` of the grid is row ``i + 1`` as Excel shows it (blank rows are kept, so numbers
    match). Every cell is free of format characters (`strip_format_chars`; a BOM written twice
    included, U+FEFF being one): this is where sheet text enters, so the row parsers, headers
    and comparison keys all see what a reader sees. In an XLSX, every cell of a merged range
    holds the range's value, and the sheet's extent is the cells it really has, whatever its
    ``<dimension>`` claims. Raises `EmptyTableError`, `TableTooLargeError` (naming the limit in
    ``limits``), `TableTimeoutError` (past ``deadline``, by default ``limits.budget_s`` from now) or
    `UnreadableTableError`. ``filename_or_content_type`` is only used to word errors better.
    """
    deadline = deadline or Deadline(limits.budget_s)
    if len(data) > limits.max_bytes:
        raise TableTooLargeError(
            f"the file has {len(data)} bytes; the limit is {limits.max_bytes} (max_upload_bytes)",
            limit="max_upload_bytes",
        )
    if not data.strip():
        raise EmptyTableError("the file is empty")
    if data.startswith(_OLE2_MAGIC):
        raise UnreadableTableError(
            "this is an old binary Excel file (.xls); save it as .xlsx or CSV and try again"
        )
    hidden: frozenset[int] = frozenset()
    if data.startswith(_ZIP_MAGIC):
        grid, hidden = _read_xlsx(data, limits=limits, deadline=deadline)
    else:
        hint = (filename_or_content_type or "").lower()
        if hint.endswith(".xlsx") or "spreadsheetml" in hint:
            raise UnreadableTableError("the file is named as XLSX but is not an XLSX workbook")
        # One pass over the whole text is far cheaper than one per cell.
        grid = _read_csv(strip_format_chars(decode_text(data)), limits=limits, deadline=deadline)
    if not any(any(cell.strip() for cell in row) for row in grid):
        raise EmptyTableError("the file holds no data, only blank rows")
    return Table(grid, hidden)


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


def _too_many_rows(limits: SheetLimits) -> TableTooLargeError:
    return TableTooLargeError(
        f"the sheet has more than {limits.max_rows} rows, blank rows included; "
        f"the limit is {limits.max_rows} (max_sheet_rows)",
        limit="max_sheet_rows",
    )


def _fit_columns(row: Sequence[T], limits: SheetLimits, row_number: int) -> Sequence[T]:
    """``row`` cut to ``limits.max_columns``; raises when a value (not None or "") lies beyond."""
    if len(row) <= limits.max_columns:
        return row
    beyond = row[limits.max_columns :]
    # count() scans at C speed: rows here can be 16,384 cells wide.
    if beyond.count(None) + beyond.count("") != len(beyond):
        last = len(row) - next(i for i, cell in enumerate(reversed(row)) if cell not in (None, ""))
        raise TableTooLargeError(
            f"row {row_number} has a value in column {get_column_letter(min(last, 18278))}; "
            f"at most {limits.max_columns} columns are read (max_sheet_columns)",
            limit="max_sheet_columns",
        )
    return row[: limits.max_columns]


def _read_csv(text: str, *, limits: SheetLimits, deadline: Deadline) -> Grid:
    first_line = text.split("\n", 1)[0]
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    delimiter = max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
    grid: Grid = []
    try:
        # newline="" keeps newlines inside quoted cells intact.
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False):
            grid.append(list(_fit_columns(row, limits, len(grid) + 1)))
            if len(grid) > limits.max_rows:
                raise _too_many_rows(limits)
            if len(grid) % _CHECK_EVERY == 0:
                deadline.check()
    except csv.Error as exc:
        raise UnreadableTableError(f"the CSV cannot be parsed: {exc}") from exc
    return grid


def check_unzipped_size(data: bytes, *, limits: SheetLimits, deadline: Deadline) -> None:
    """Refuse a zip bomb before openpyxl opens it.

    First the sizes the zip declares for its members, then the bytes really produced by
    decompressing every member (read in 1 MiB chunks and dropped): a forged small declared size
    must not let more through. ``zipfile`` also checks each member's CRC on the way, so a
    corrupt workbook fails here. Raises `TableTooLargeError` (``max_sheet_unzipped_bytes``),
    `TableTimeoutError` or `UnreadableTableError`.
    """

    def too_large(size: str) -> TableTooLargeError:
        return TableTooLargeError(
            f"the workbook unzips to {size} bytes; the limit is {limits.max_unzipped_bytes} "
            "(max_sheet_unzipped_bytes)",
            limit="max_sheet_unzipped_bytes",
        )

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            declared = sum(member.file_size for member in members)
            if declared > limits.max_unzipped_bytes:
                raise too_large(str(declared))
            actual = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(_ZIP_CHUNK):
                        actual += len(chunk)
                        if actual > limits.max_unzipped_bytes:
                            raise too_large(f"more than {actual}")
                        deadline.check()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise UnreadableTableError(f"the XLSX workbook cannot be read: {exc}") from exc


def _read_xlsx(
    data: bytes, *, limits: SheetLimits, deadline: Deadline
) -> tuple[Grid, frozenset[int]]:
    check_unzipped_size(data, limits=limits, deadline=deadline)
    try:
        # openpyxl warns about harmless things some writers leave in (unknown extensions, data
        # validation); they say nothing about the cells and would be errors under pytest.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                # The sheet's own <dimension> is not trusted: "A1:XFD15000" made openpyxl pad
                # every row to 16,384 cells and every gap with rows, and WPS writes "A1" for a
                # full sheet. Without it, rows are as wide as their last cell, and missing rows
                # come as empty ones (each counted below).
                sheet.reset_dimensions()
                grid: Grid = []
                for values in sheet.iter_rows(values_only=True):
                    values = _fit_columns(values, limits, len(grid) + 1)
                    row = [cell_text(value) for value in values]
                    while row and not row[-1]:
                        row.pop()
                    grid.append(row)
                    if len(grid) > limits.max_rows:
                        raise _too_many_rows(limits)
                    if len(grid) % _CHECK_EVERY == 0:
                        deadline.check()
            finally:
                workbook.close()
        hidden = apply_layout(
            data,
            grid,
            max_rows=limits.max_rows,
            max_columns=limits.max_columns,
            deadline=deadline,
        )
    except (TableTooLargeError, TableTimeoutError, UnreadableTableError):
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise UnreadableTableError(f"the XLSX workbook cannot be read: {exc}") from exc
    # Formatted-but-empty rows at the bottom are common in Excel files; drop them.
    while grid and not grid[-1]:
        grid.pop()
    return grid, frozenset(hidden)


def cell_text(value: object) -> str:
    """One XLSX cell value as the text a person sees: dates as ISO, whole floats without ``.0``,
    text without format characters.

    Date cells arrive as `datetime` because openpyxl applies the cell's date number format to the
    Excel serial number.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return strip_format_chars(value)
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
