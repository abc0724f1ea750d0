"""Streaming XLSX exports: one sheet per table, rows written as they come, constant memory.

openpyxl's write-only mode spools each sheet to a temporary file instead of keeping cells in
memory, so an export of a million applications costs the same memory as one of ten.

    with XlsxBook(path) as book:
        sheet = book.add_sheet("申请", ["申请编号", "职位", "状态"])
        for application in applications:
            sheet.append([application.id, application.job_title, application.status])
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from decimal import Decimal
from types import TracebackType
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from liveevent.tables.csv_out import escape_formula
from liveevent.tables.errors import TableTooLargeError

__all__ = ["DATETIME_FORMAT", "XLSX_CONTENT_TYPE", "XlsxBook", "XlsxSheet", "xlsx_value"]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header included
_MAX_CELL_CHARS = 32_767  # Excel refuses to open a file with a longer cell
# Excel keeps 15 significant digits; longer integers (ids) are written as text to stay exact.
_MAX_EXACT_INT = 10**15
_BAD_SHEET_CHARS = frozenset("[]:*?/\\")
# How date-time cells show: the CSV exports' text (ISO 8601 order, 24-hour, seconds), which
# Excel and WPS show the same in every locale. The cell holds the date-time itself.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def xlsx_value(value: object) -> object:
    """The value as it goes into a cell: numbers, booleans and dates typed; text formula-escaped.

    Text gets the same ``'`` prefix as in CSV exports (`escape_formula`), so both formats show
    the same cells, and control characters XLSX cannot hold are dropped.
    """
    if value is None or isinstance(value, bool | float | Decimal | dt.date | dt.time):
        return value
    if isinstance(value, int):
        return value if -_MAX_EXACT_INT < value < _MAX_EXACT_INT else str(value)
    text = escape_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    return text[:_MAX_CELL_CHARS]


class XlsxSheet:
    """One table in an `XlsxBook`; made by `XlsxBook.add_sheet`."""

    def __init__(self, sheet: WriteOnlyWorksheet, width: int) -> None:
        self._sheet = sheet
        self._width = width
        self.rows = 1  # the header
        self._date_cells: dict[int, WriteOnlyCell] = {}

    def append(self, row: Sequence[object]) -> None:
        """Add one row, as many cells as there are headers. Raises `TableTooLargeError` past
        Excel's 1,048,576 rows and ValueError for a row of the wrong length."""
        if len(row) != self._width:
            raise ValueError(f"the row has {len(row)} cells; the sheet has {self._width} columns")
        if self.rows >= MAX_SHEET_ROWS:
            raise TableTooLargeError(
                f"an XLSX sheet holds at most {MAX_SHEET_ROWS} rows; export as CSV instead",
                limit="excel_max_rows",
            )
        cells: list[object] = []
        for index, value in enumerate(row):
            if type(value) is dt.datetime:
                # A naive date-time, the caller's local time (openpyxl refuses an aware one):
                # a real date-time cell, shown as DATETIME_FORMAT.
                cells.append(self._date_cell(index, value))
            else:
                cells.append(xlsx_value(value))
        self._sheet.append(cells)
        self.rows += 1

    def _date_cell(self, index: int, value: dt.datetime) -> WriteOnlyCell:
        # One styled cell per column, reused row after row: a write-only sheet writes a row
        # out within append(), so the cell is free again when the next row comes. A new cell
        # with its number format per value made a 100,000-row export ~15% slower.
        cell = self._date_cells.get(index)
        if cell is None:
            cell = self._date_cells[index] = WriteOnlyCell(self._sheet)
            cell.number_format = DATETIME_FORMAT
        cell.value = value
        return cell

    def _finish(self) -> None:
        # The filter covers the rows written, so it can only be set now; write-only sheets
        # write it at the end of the sheet, which is why this works after the rows.
        self._sheet.auto_filter.ref = f"A1:{get_column_letter(self._width)}{self.rows}"


class XlsxBook:
    """An XLSX file being written: `add_sheet` as often as needed, then `close` to save.

    ``target`` is a path or a binary file object (seekable, such as a file or BytesIO). Used as a
    context manager, the book is saved on a normal exit and discarded when the block raises
    (nothing is written to ``target`` then).
    """

    def __init__(self, target: str | os.PathLike[str] | IO[bytes]) -> None:
        self._target = target
        self._book = Workbook(write_only=True)
        self._sheets: list[XlsxSheet] = []
        self._names: set[str] = set()
        self._closed = False

    def add_sheet(
        self, name: str, headers: Sequence[str], *, widths: Sequence[float] | None = None
    ) -> XlsxSheet:
        """Start a sheet with a bold, frozen header row. Raises ValueError for a name Excel
        rejects (empty, over 31 characters, one of ``[]:*?/\\``, or already used)."""
        if self._closed:
            raise ValueError("the book is closed")
        if (
            not name.strip()
            or len(name) > 31
            or _BAD_SHEET_CHARS & set(name)
            or name.startswith("'")
            or name.endswith("'")
        ):
            raise ValueError(f"{name!r} is not a valid sheet name")
        if name.casefold() in self._names:
            raise ValueError(f"there is already a sheet named {name!r}")
        if not headers:
            raise ValueError("a sheet needs at least one column")
        self._names.add(name.casefold())
        sheet = self._book.create_sheet(name)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths or (), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=xlsx_value(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        table = XlsxSheet(sheet, len(headers))
        self._sheets.append(table)
        return table

    def close(self) -> None:
        """Save the workbook to the target; a book can be closed once (later calls do nothing)."""
        if self._closed:
            return
        self._closed = True
        if not self._sheets:
            raise ValueError("an XLSX book needs at least one sheet")
        for sheet in self._sheets:
            sheet._finish()
        self._book.save(self._target)

    def discard(self) -> None:
        """Give up on the book without writing the target, and free its temporary files."""
        if self._closed:
            return
        self._closed = True
        # Saving is the only public way to make openpyxl delete the sheets' spool files; the
        # error that made us discard is the one worth seeing, so one from here is dropped.
        with contextlib.suppress(Exception), open(os.devnull, "wb") as sink:
            self._book.save(sink)

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()
