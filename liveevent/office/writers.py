"""Writing tables as CSV (UTF-8 with BOM, formula-escaped) or XLSX (one sheet per table).

Both stream a page at a time. XLSX cells are built by openpyxl in a worker thread, a page per
hop, so an export taken during the broadcast never holds the event loop (and the viewers'
fan-out) for more than a moment.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import IO

from liveevent.errors import InvalidInput
from liveevent.office.export_tables import Row, Table
from liveevent.tables.csv_out import CSV_BOM, format_row
from liveevent.tables.errors import TableTooLargeError
from liveevent.tables.xlsx_out import XlsxBook, XlsxSheet

Progress = Callable[[str, int], None]


def _no_progress(table: str, rows: int) -> None:
    return None


async def write_csv(
    table: Table, write: Callable[[bytes], Awaitable[None]], *, progress: Progress = _no_progress
) -> int:
    """Write ``table`` through ``write`` (BOM and header first); returns the data rows."""
    await write((CSV_BOM + format_row(table.columns)).encode())
    rows = 0
    if table.csv_pages is not None:
        async for text, count in table.csv_pages():
            await write(text.encode())
            rows += count
            progress(table.name, rows)
        return rows
    async for page in table.pages():
        await write("".join([format_row(row) for row in page]).encode())
        rows += len(page)
        progress(table.name, rows)
    return rows


async def write_xlsx(
    tables: Sequence[Table],
    target: str | os.PathLike[str] | IO[bytes],
    *,
    progress: Progress = _no_progress,
) -> dict[str, int]:
    """Write one sheet per table to ``target``; returns the data rows per table.

    Raises ``InvalidInput`` for a table over Excel's 1,048,576 rows (nothing is written).
    """
    book = XlsxBook(target)
    counts: dict[str, int] = {}
    try:
        for table in tables:
            sheet = book.add_sheet(
                table.sheet or table.name, table.columns, widths=table.widths or None
            )
            rows = 0
            async for page in table.pages():
                await asyncio.to_thread(_append, sheet, page)
                rows += len(page)
                progress(table.name, rows)
            counts[table.name] = rows
        await asyncio.to_thread(book.close)
    except TableTooLargeError as exc:
        await asyncio.to_thread(book.discard)
        raise InvalidInput(str(exc), fields={"format": "use csv for this many rows"}) from exc
    except BaseException:
        await asyncio.to_thread(book.discard)
        raise
    return counts


def _append(sheet: XlsxSheet, page: list[Row]) -> None:
    for row in page:
        sheet.append(row)
