"""What openpyxl's read-only mode leaves out of an XLSX sheet: merged cells and hidden rows.

Read-only mode streams cell values and nothing else: a merged range (fair sheets merge 单位名称
down over all of an employer's jobs) gives its value in the top-left cell only, and a row the
office hid (``已取消岗位（勿导入）``) reads like any other. Both live in the sheet's XML
(``<mergeCell ref="A2:A9"/>`` after the cells, ``<row r="7" hidden="1">``), so this module reads
that XML once more with a streaming parser (expat, fed 1 MiB at a time) and keeps only what it
needs: the merged ranges are applied to the grid as they are met, never stored.

The extra pass costs about a seventh of openpyxl's own read, so it is skipped altogether when
the raw bytes hold neither ``mergeCell`` nor ``hidden`` (most workbooks, and every one written
by a program), found by a byte search that costs little more than the decompression.

Shapes: ``grid`` rows are 0-based lists of text (row 0 is Excel's row 1); hidden rows are
returned as Excel's 1-based numbers.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from typing import TYPE_CHECKING
from xml.parsers import expat

from openpyxl.utils.cell import range_boundaries

from liveevent.tables.errors import TableTooLargeError, UnreadableTableError

if TYPE_CHECKING:
    from liveevent.tables.sheet import Deadline

_CHUNK = 1024 * 1024
_MARKERS = (b"mergeCell", b"hidden")
# Cells a merged range may fill, per row the sheet may have: generous for real sheets (an
# employer merged down, a title across the top), small enough that a forged
# <mergeCell ref="A1:IV100000"/> cannot make the grid hundreds of megabytes.
FILLED_CELLS_PER_ROW = 16
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first sheet (the one openpyxl's ``worksheets[0]`` is),
    found through the package relationships; None when the workbook does not say."""
    try:
        root_rels = ET.fromstring(archive.read("_rels/.rels"))
        book = next(
            rel.get("Target", "")
            for rel in root_rels
            if rel.get("Type", "").endswith("/officeDocument")
        ).lstrip("/")
        folder, name = posixpath.split(book)
        book_rels = ET.fromstring(archive.read(posixpath.join(folder, "_rels", name + ".rels")))
        workbook = ET.fromstring(archive.read(book))
        sheets = next(node for node in workbook if _local(node.tag) == "sheets")
        # openpyxl's worksheets leave chart sheets out: the first sheet with cells is the one.
        kinds = {rel.get("Id"): rel for rel in book_rels}
        target = next(
            kinds[sheet.get(_REL)].get("Target", "")
            for sheet in sheets
            if sheet.get(_REL) in kinds
            and kinds[sheet.get(_REL)].get("Type", "").endswith("/worksheet")
        )
    except (KeyError, StopIteration, ET.ParseError):
        return None
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _local(tag: str) -> str:
    """A tag without its namespace: ``{uri}row`` or ``x:row`` -> ``row``."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def apply_layout(
    data: bytes, grid: list[list[str]], *, max_rows: int, max_columns: int, deadline: Deadline
) -> set[int]:
    """Fill every cell of each merged range of the first sheet with its top-left value (in
    place, within the grid's rows and ``max_columns``) and return the hidden rows' numbers.

    Raises `TableTooLargeError` (``max_sheet_rows``) when merged ranges would fill more than
    ``FILLED_CELLS_PER_ROW * max_rows`` cells, `TableTimeoutError` past ``deadline``,
    `UnreadableTableError` for broken sheet XML.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        path = first_sheet_path(archive)
        if path is None or not _has_markers(archive, path):
            return set()
        budget = FILLED_CELLS_PER_ROW * max_rows
        return _scan(archive, path, grid, budget=budget, width=max_columns, deadline=deadline)


def _has_markers(archive: zipfile.ZipFile, path: str) -> bool:
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk  # a marker may straddle two chunks
            if any(marker in window for marker in _MARKERS):
                return True
            tail = chunk[-16:]
    return False


def _scan(
    archive: zipfile.ZipFile,
    path: str,
    grid: list[list[str]],
    *,
    budget: int,
    width: int,
    deadline: Deadline,
) -> set[int]:
    hidden: set[int] = set()
    row_number = 0
    left = budget

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_number, left
        tag = _local(name)
        if tag == "row":
            # "r" may be left out; then the row follows the previous one.
            row_number = int(attrs["r"]) if attrs.get("r", "").isdigit() else row_number + 1
            if attrs.get("hidden") in ("1", "true"):
                hidden.add(row_number)
        elif tag == "mergeCell":
            left = _fill(grid, attrs.get("ref", ""), left=left, width=width)
            if left < 0:
                raise TableTooLargeError(
                    f"the sheet's merged cells cover more than {budget} cells "
                    f"({FILLED_CELLS_PER_ROW} per row of max_sheet_rows); unmerge them",
                    limit="max_sheet_rows",
                )

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with archive.open(path) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
                deadline.check()
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnreadableTableError(f"the XLSX sheet cannot be read: {exc}") from exc
    return hidden


def _fill(grid: list[list[str]], ref: str, *, left: int, width: int) -> int:
    """Copy the top-left value of ``ref`` (``A2:A9``) over the rest of it; returns ``left`` less
    the cells filled. A range outside the grid or with a blank top-left cell fills nothing."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return left  # not a range: nothing to merge
    if min_col is None or min_row is None or max_col is None or max_row is None:
        return left
    top, first = min_row - 1, min_col - 1
    if top >= len(grid) or first >= len(grid[top]) or not grid[top][first]:
        return left
    value = grid[top][first]
    last_col = min(max_col, width)
    for row in grid[top : min(max_row, len(grid))]:
        if len(row) < last_col:
            row.extend([""] * (last_col - len(row)))
        for col in range(first, last_col):
            if not row[col]:
                row[col] = value
                left -= 1
        if left < 0:
            break
    return left
