"""Exports: applications, hires per job, the per-push breakdown, as CSV or XLSX (staff, admin).

    /api/events/{id}/export/applications.csv|.xlsx   one row per application
    /api/events/{id}/export/hires.csv|.xlsx          one row per job (the /stats numbers)
    /api/events/{id}/export/pushes.csv|.xlsx         one row per card push (?window_min=10)
    /api/events/{id}/export/attribution.csv|.xlsx    figures by city, channel, venue, source
    /api/events/{id}/export/checkins.csv|.xlsx       one row per check-in at a venue (issue 16)
    /api/events/{id}/export/questions.csv|.xlsx      one row per question asked about a card
    /api/events/{id}/export/workbook.xlsx            every table above but checkins, one sheet each

``?format=xlsx`` on a ``.csv`` path gives the XLSX. Files are for people by default: Chinese
headers and status words, times in the event's time zone (the ``time_zone`` setting); ``?lang=en``
words them in English, ``?form=raw`` gives the form for scripts (column codes, status codes,
ISO 8601 UTC times); see `liveevent.office.layout`. CSV is UTF-8 with a BOM (Excel then shows
Chinese) and streamed a page at a time; XLSX is built in a temporary file (openpyxl in a worker
thread) and then streamed, so both run in constant memory and during the live broadcast.
Text cells starting with ``= + - @`` are escaped against formula injection in both formats.
Every export is recorded in the event's audit stream: who, what, when, how many rows.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable

from aiohttp import web

from liveevent.errors import InvalidInput
from liveevent.office.checkin_table import checkins_table
from liveevent.office.export_tables import DEFAULT_WINDOW_MIN, TABLE_NAMES, Sources, Table, table
from liveevent.office.layout import Layout
from liveevent.office.writers import write_csv, write_xlsx
from liveevent.tables.xlsx_out import XLSX_CONTENT_TYPE
from liveevent.web import api
from liveevent.web.appkeys import APPLICATIONS, EVENTS, QUESTIONS, SETTINGS, VENUES
from liveevent.web.auth import require_caller

EXPORT_ROLES = ("staff",)
_CHUNK = 256 * 1024
_FORMATS = ("csv", "xlsx")


def _window_min(request: web.Request) -> int:
    raw = request.query.get("window_min", str(DEFAULT_WINDOW_MIN))
    # ASCII and short before int(): "²" is a digit int() refuses, and 5,000 digits are more
    # than int() converts (both were a 500).
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 1 <= int(raw) <= 24 * 60:
        why = "must be a whole number of minutes from 1 to 1440"
        raise InvalidInput(f"window_min {why}", fields={"window_min": why})
    return int(raw)


def _headers(filename: str, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


Audit = Callable[[int], Awaitable[None]]


async def export(request: web.Request) -> web.StreamResponse:
    """``GET /api/events/{id}/export/{table}.{ext}`` (staff): a table as CSV or XLSX.

    ``table`` is ``applications``, ``hires``, ``pushes``, ``attribution``, ``questions``,
    ``checkins`` (one row per person checked in at a venue, not in the workbook) or
    ``workbook`` (XLSX only, every other table a sheet); ``?format=`` overrides the
    extension; the ``Layout`` query fields choose columns and language. Streams the file as
    an attachment, with an audit entry written before its last byte. Raises ``InvalidInput``
    (422: format, layout), ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound``
    (404), ``StoreUnavailable`` (503); a store
    error after the CSV's first bytes went out ends the download short instead.
    """
    event_id, name = request.match_info["event_id"], request.match_info["table"]
    ext = request.match_info["ext"]
    fmt = request.query.get("format", ext)
    if fmt not in _FORMATS or (name == "workbook" and fmt != "xlsx"):
        why = "must be xlsx" if name == "workbook" else "must be csv or xlsx"
        raise InvalidInput(f"format {why}", fields={"format": why})
    layout = Layout.parse(request.query, time_zone=request.app[SETTINGS].time_zone)
    caller = await require_caller(request, event_id, EXPORT_ROLES)
    role = str(caller.role)
    src = Sources(request.app[EVENTS], request.app[APPLICATIONS], request.app[QUESTIONS])
    window = _window_min(request)
    names = TABLE_NAMES if name == "workbook" else (name,)
    # Staff and admin see phones in full; a host never reaches here (EXPORT_ROLES).
    tables = [
        await table(src, event_id, n, mask_phones=role == "host", window_min=window, layout=layout)
        for n in names
        if n != "checkins"
    ]
    if name == "checkins":  # check-ins at venues (issue 16): office/checkin_table.py
        venues = request.app[VENUES]
        tables = [await checkins_table(venues, event_id, mask_phones=role == "host", layout=layout)]
    filename = f"{name}-{event_id}.{fmt}"

    async def audit(rows: int) -> None:
        # Called before the last byte goes out: a client holding the file has its audit entry.
        entry = {"what": "export", "table": name, "format": fmt, "by": caller.name, "rows": rows}
        entry["role"] = role
        entry.update(form=str(layout.form), lang=str(layout.lang))
        entry["at"] = api.now_ms()
        await request.app[APPLICATIONS].audit(event_id, entry)

    if fmt == "csv":
        return await _send_csv(request, tables[0], filename, audit)
    return await _send_xlsx(request, tables, filename, audit)


async def _send_csv(
    request: web.Request, source: Table, filename: str, audit: Audit
) -> web.StreamResponse:
    response = web.StreamResponse(headers=_headers(filename, "text/csv; charset=utf-8"))
    await response.prepare(request)
    await audit(await write_csv(source, response.write))
    await response.write_eof()
    return response


async def _send_xlsx(
    request: web.Request, tables: list[Table], filename: str, audit: Audit
) -> web.StreamResponse:
    fd, name = tempfile.mkstemp(prefix="liveevent-export-", suffix=".xlsx")
    os.close(fd)
    try:
        counts = await write_xlsx(tables, name)
        await audit(sum(counts.values()))
        response = web.StreamResponse(headers=_headers(filename, XLSX_CONTENT_TYPE))
        response.content_length = await asyncio.to_thread(os.path.getsize, name)
        await response.prepare(request)
        fh = await asyncio.to_thread(open, name, "rb")
        try:
            while chunk := await asyncio.to_thread(fh.read, _CHUNK):
                await response.write(chunk)
        finally:
            fh.close()
        await response.write_eof()
    finally:
        await asyncio.to_thread(os.unlink, name)
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    """The export paths (the two contract paths among them, under their old names).

    Adds four GET routes to ``router`` (the app factory calls this); returns None. Raises
    ``ValueError`` (aiohttp's) if a route name is already taken.
    """
    base = "/api/events/{event_id}/export/"
    router.add_get(base + "{table:applications}.{ext:csv}", export, name="export_applications")
    router.add_get(base + "{table:hires}.{ext:csv}", export, name="export_hires")
    router.add_get(
        base + "{table:applications|hires|pushes|attribution|questions|workbook}.{ext:csv|xlsx}",
        export,
        name="export_table",
    )
    # issue 16: check-ins at venues, a table of their own (office/checkin_table.py)
    router.add_get(base + "{table:checkins}.{ext:csv|xlsx}", export, name="export_checkins")
