"""CSV lines for exports that people open in Excel.

Write `CSV_BOM` once at the start of the file (without it Excel reads UTF-8 as the local code
page and Chinese turns to mojibake), then one `format_row` per row, encoded as UTF-8.

Speed, measured on 300,000 mixed rows (10 cells: an int, a float, Chinese text, a tenth of them
needing quotes), CPython 3.11, best of 3, three runs (`format_row` is pure Python and escapes
formulas; csv.writer is C and escapes nothing):

    format_row                               410,000-448,000 rows/s
    csv.writer(io.StringIO()).writerow       443,000-461,000 rows/s

so 1,000,000 rows format in about 2.3 s, within ~5-8% of csv.writer writing the same rows to a
buffer, escaping included. Pre-escaping the cells in Python and handing them to csv.writer was
slower (about 320,000 rows/s): the extra list per row costs more than the C formatting saves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["CSV_BOM", "escape_formula", "format_row", "text_cell"]

CSV_BOM = "\ufeff"

# A cell starting with one of these is run as a formula by Excel/LibreOffice (OWASP "CSV
# injection"); tab and CR also, because some importers strip them and then see the formula.
_FORMULA_START = frozenset("=+-@\t\r")


def escape_formula(text: str) -> str:
    """Prefix ``'`` to text that a spreadsheet would run as a formula; other text is unchanged."""
    if text and text[0] in _FORMULA_START:
        return "'" + text
    return text


def text_cell(text: str) -> str:
    """One text cell as `format_row` writes it (formula-escaped, quoted where needed).

    For writers that build a line themselves from cells they know the types of.
    """
    if text and text[0] in _FORMULA_START:
        text = "'" + text
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def format_row(values: Sequence[object]) -> str:
    """One CSV record ending in CRLF, quoted as RFC 4180 asks (only where needed).

    None is an empty cell. int, float and Decimal are written as numbers and never escaped
    (``-5`` stays a number); every other value is written as its text with `escape_formula`
    applied, so ``=1+1`` from a user arrives in Excel as the text ``'=1+1``. Dates are ISO 8601.
    """
    out: list[str] = []
    add = out.append
    # One loop with the common cases inline: a helper call per string cell costs ~6%.
    for value in values:
        kind = type(value)
        if kind is str:
            text: str = value  # type: ignore[assignment]
        elif value is None:
            add("")
            continue
        elif kind is int or kind is float or kind is Decimal:
            add(str(value))
            continue
        else:
            text = _text(value)
        if text and text[0] in _FORMULA_START:
            text = "'" + text
        if '"' in text:
            text = '"' + text.replace('"', '""') + '"'
        elif "," in text or "\n" in text or "\r" in text:
            text = '"' + text + '"'
        add(text)
    if len(out) == 1 and not out[0]:
        # A lone empty cell would be a blank line, which readers skip; quote it like csv does.
        return '""\r\n'
    return ",".join(out) + "\r\n"


def _text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)
