"""The fair report and the report across fairs over HTTP (issue 16, part 6).

    GET /api/events/{id}/export/report.xlsx     staff: the fair's report workbook
    GET /api/events/{id}/report                 staff: the same figures as JSON
    GET /api/report?from=DATE&to=DATE[&format=json|csv|xlsx][&lang=zh-CN|en]
                                                admin: every fair starting in the range

Read-only and so naturally idempotent. Every download is recorded in the event's audit stream
(the fair report) like the other exports. No personal data: counts, titles, employer names.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from aiohttp import web

from liveevent.domain.fair_report import DateRange
from liveevent.errors import InvalidInput
from liveevent.office.layout import load_zone
from liveevent.office.report import ReportSources, fair_report, fairs_report
from liveevent.office.report_book import fairs_csv, write_fair_book, write_fairs_book
from liveevent.tables.xlsx_out import XLSX_CONTENT_TYPE
from liveevent.web import api, frames
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SETTINGS
from liveevent.web.auth import require_admin, require_role

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)

REPORT_ROLES = ("staff",)
_FORMATS = ("json", "csv", "xlsx")
_LANGS = ("zh-CN", "en")


def _sources(request: web.Request) -> ReportSources:
    return ReportSources.of(request.app[EVENTS], request.app[APPLICATIONS])


def _download(body: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@routes.get("/api/events/{event_id}/export/report.xlsx", name="export_report")
async def export_report(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/export/report.xlsx`` (staff): the fair report workbook
    (``office/report_book.py`` lists its sheets), audited as an export.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    role = await require_role(request, event_id, REPORT_ROLES)
    report = await fair_report(_sources(request), event_id)
    zone = load_zone(request.app[SETTINGS].time_zone)
    out = io.BytesIO()
    counts = await asyncio.to_thread(write_fair_book, report, out, zone=zone)
    entry: dict[str, Any] = {"what": "export", "table": "report", "format": "xlsx", "by": role}
    entry.update(rows=sum(counts.values()), at=api.now_ms())
    await request.app[APPLICATIONS].audit(event_id, entry)
    return _download(out.getvalue(), f"report-{event_id}.xlsx", XLSX_CONTENT_TYPE)


@routes.get("/api/events/{event_id}/report", name="fair_report")
async def get_fair_report(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/report`` (staff): ``FairReport.to_wire`` as UTF-8 JSON.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, REPORT_ROLES)
    report = await fair_report(_sources(request), event_id)
    body = frames.dumps(report.to_wire())
    return web.Response(body=body, content_type="application/json", charset="utf-8")


@routes.get("/api/report", name="fairs_report")
async def get_fairs_report(request: web.Request) -> web.Response:
    """``GET /api/report?from=YYYY-MM-DD&to=YYYY-MM-DD`` (admin): every fair starting on
    those days (the ``time_zone`` setting's days) and their total, as ``format`` ``json``
    (``FairsReport.to_wire``, the default), ``csv`` (``lang`` ``zh-CN`` or ``en`` headers) or
    ``xlsx``.

    Raises ``InvalidInput`` (422 naming ``from``, ``to``, ``format`` or ``lang``),
    ``Unauthenticated`` (401), ``Forbidden`` (403), ``StoreUnavailable`` (503).
    """
    require_admin(request)
    fmt = request.query.get("format", "json")
    if fmt not in _FORMATS:
        raise InvalidInput("format must be json, csv or xlsx", fields={"format": "json|csv|xlsx"})
    lang = request.query.get("lang", "zh-CN")
    if lang not in _LANGS:
        raise InvalidInput("lang must be zh-CN or en", fields={"lang": "zh-CN or en"})
    zone = load_zone(request.app[SETTINGS].time_zone)
    days = DateRange.parse(request.query, zone=zone)
    report = await fairs_report(_sources(request), days)
    name = f"fairs-{days.first}-{days.last}"
    if fmt == "csv":
        return _download(fairs_csv(report, lang=lang), f"{name}.csv", "text/csv; charset=utf-8")
    if fmt == "xlsx":
        out = io.BytesIO()
        await asyncio.to_thread(write_fairs_book, report, out)
        return _download(out.getvalue(), f"{name}.xlsx", XLSX_CONTENT_TYPE)
    body = frames.dumps(report.to_wire())
    return web.Response(body=body, content_type="application/json", charset="utf-8")
