"""Errors raised when a whole table cannot be read.

    TableError                   base; a ValueError, so callers that only know "bad input" work
    ├── EmptyTableError          no bytes, or no non-blank row
    ├── TableTooLargeError       over a size limit: bytes, unzipped bytes, rows, columns
    ├── TableTimeoutError        not read within the time budget
    ├── UnreadableTableError     not CSV in UTF-8/GB18030/UTF-16, or a broken XLSX
    ├── NoHeaderError            no row names the columns the import needs
    └── BadMappingError          the caller's column mapping does not fit the file

These are whole-file faults. A bad *row* is not an exception: it is a `Problem` in the import
result, so that every problem in a file can be reported at once.

This package stays free of the server's exception tree on purpose (it is pure and stands alone);
the web and CLI layers catch `TableError` and raise their own client error ``from`` it.

Sheets are read in a child process (``liveevent.office.sheet_process``), so each error keeps its
attributes through pickling (``__reduce__``).
"""

from __future__ import annotations


class TableError(ValueError):
    """Base of every whole-file error from `liveevent.tables`."""


class EmptyTableError(TableError):
    """The file is empty or holds only blank rows."""


class TableTooLargeError(TableError):
    """The file is over one of the import's size limits; ``limit`` names the setting
    (``max_upload_bytes``, ``max_sheet_unzipped_bytes``, ``max_sheet_rows``, ``max_sheet_columns``).
    """

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), {"limit": self.limit}))


class TableTimeoutError(TableError):
    """Reading the file took longer than the time budget (``sheet_read_budget_s``)."""

    limit = "sheet_read_budget_s"


class UnreadableTableError(TableError):
    """The bytes are neither a readable XLSX workbook nor text in a supported encoding."""


class NoHeaderError(TableError):
    """No header row names the required columns; the message says which ones are needed."""

    def __init__(self, message: str, *, needed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.needed = needed

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), {"needed": self.needed}))


class BadMappingError(TableError):
    """The caller's column mapping names an unknown field or a column the header lacks."""


def _rebuild(cls: type[TableError], message: str, attrs: dict[str, object]) -> TableError:
    # Exceptions pickle as cls(*args), which loses keyword-only attributes.
    return cls(message, **attrs)
