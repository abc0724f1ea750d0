"""Finding the header row and deciding which column holds which field.

Files from HR offices often start with a title line ("2024春季招聘会岗位表") above the real
header, so the header is searched for among the first rows rather than assumed to be row 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from liveevent.tables.cells import fold
from liveevent.tables.errors import BadMappingError, NoHeaderError
from liveevent.tables.sheet import Grid, Problem

# How many non-blank rows from the top may sit above the header.
_HEADER_SEARCH_ROWS = 10
# Decoration around a header word, after `fold`: a "required" star or a numbering in front
# ("*单位名称", "1.岗位"), a unit or note in brackets behind ("招聘人数(人)", "薪资(元/月)",
# "岗位【必填】") and a colon.
_HEADER_DECOR = re.compile(
    r"^(?:[*※★#]+|\d{1,2}[.、])|(?:\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]|[:*])+$"
)


def header_key(text: str) -> str:
    """The key a header cell is looked up by: `fold`, without decoration around the word.

    ``"* 招聘人数（人）"`` and ``"招聘人数"`` give the same key; so do ``"Job Title"`` and
    ``"job title"``.
    """
    key = fold(text)
    return _HEADER_DECOR.sub("", key) or key


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field lives. ``row_index`` is the header's 0-based index in the grid."""

    row_index: int
    names: tuple[str, ...]
    index_of: Mapping[str, int]

    def label(self, index: int) -> str:
        """How a problem names a column: its header text, or its letter when the header is blank."""
        if index < len(self.names) and self.names[index]:
            return self.names[index]
        return column_letter(index)

    def is_repeat(self, row: Sequence[str]) -> bool:
        """True when ``row`` is the header again (files glued together, or one per page)."""
        for index in self.index_of.values():
            cell = row[index] if index < len(row) else ""
            if fold(cell) != fold(self.names[index]):
                return False
        return True


def column_letter(index: int) -> str:
    """0 -> ``A``, 25 -> ``Z``, 26 -> ``AA``, as spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def find_columns(
    grid: Grid,
    *,
    synonyms: Mapping[str, str],
    mapping: Mapping[str, str] | None,
    required: Sequence[frozenset[str]],
    describe_needed: str,
) -> Columns:
    """Pick the header row and map its columns to fields.

    ``synonyms`` maps `header_key` of a header text to a field; ``mapping`` (header text ->
    field, from the caller) wins over it. The header is the first of the top rows that holds
    one of the ``required`` field sets. Raises `NoHeaderError` (its message is
    ``describe_needed``) or `BadMappingError`.
    """
    fields = frozenset(synonyms.values())
    explicit = {header_key(header): field for header, field in (mapping or {}).items()}
    for header, field in (mapping or {}).items():
        if field not in fields:
            raise BadMappingError(
                f"the mapping sends {header!r} to unknown field {field!r}; "
                f"known fields: {', '.join(sorted(fields))}"
            )
    seen = 0
    for row_index, row in enumerate(grid):
        if not any(cell.strip() for cell in row):
            continue
        index_of = _map_row(row, synonyms, explicit)
        if any(needed <= index_of.keys() for needed in required):
            folded = {header_key(cell) for cell in row}
            missing = [header for header in (mapping or {}) if header_key(header) not in folded]
            if missing:
                raise BadMappingError(
                    f"the mapping names columns the header row does not have: {missing}"
                )
            names = tuple(cell.strip() for cell in row)
            return Columns(row_index=row_index, names=names, index_of=index_of)
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    raise NoHeaderError(describe_needed, needed=tuple(sorted(set().union(*required))))


def _map_row(
    row: Sequence[str], synonyms: Mapping[str, str], explicit: Mapping[str, str]
) -> dict[str, int]:
    index_of: dict[str, int] = {}
    # Explicit names first so that they win a field over a synonym elsewhere in the row.
    for table in (explicit, synonyms):
        for index, cell in enumerate(row):
            field = table.get(header_key(cell))
            if field is not None and field not in index_of and index not in index_of.values():
                index_of[field] = index
    return index_of


def hidden_row(row: int) -> Problem:
    """The warning for a data row skipped because the workbook hides it.

    Skipped, not imported with a warning: an office hides a row to take it out of the sheet
    (a cancelled job, a withdrawn candidate) without losing it, and what a reader of the
    workbook sees is what it says.
    """
    return Problem(
        row, None, "the row is hidden in the workbook, so it was skipped; unhide it to import it"
    )
