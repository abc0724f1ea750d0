"""Errors raised when a whole table cannot be read.

    TableError                   base; a ValueError, so callers that only know "bad input" work
    ├── EmptyTableError          no bytes, or no non-blank row
    ├── TableTooLargeError       over the byte or row limit
    ├── UnreadableTableError     not CSV in UTF-8/GB18030/UTF-16, or a broken XLSX
    ├── NoHeaderError            no row names the columns the import needs
    └── BadMappingError          the caller's column mapping does not fit the file

These are whole-file faults. A bad *row* is not an exception: it is a `Problem` in the import
result, so that every problem in a file can be reported at once.

This package stays free of the server's exception tree on purpose (it is pure and stands alone);
the web and CLI layers catch `TableError` and raise their own client error ``from`` it.
"""

from __future__ import annotations


class TableError(ValueError):
    """Base of every whole-file error from `liveevent.tables`."""


class EmptyTableError(TableError):
    """The file is empty or holds only blank rows."""


class TableTooLargeError(TableError):
    """The file has more bytes or rows than the import allows."""


class UnreadableTableError(TableError):
    """The bytes are neither a readable XLSX workbook nor text in a supported encoding."""


class NoHeaderError(TableError):
    """No header row names the required columns; the message says which ones are needed."""

    def __init__(self, message: str, *, needed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.needed = needed


class BadMappingError(TableError):
    """The caller's column mapping names an unknown field or a column the header lacks."""
