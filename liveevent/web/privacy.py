"""Organiser-wide endpoints and applicants' data over time.

    GET  /api/summary                 admin: every event's numbers (no personal data)
    POST /api/events/{id}/purge       admin: remove applicants' names and phones (ended events)

With ``retention_days`` set, a background task purges events that ended longer ago than that:
once at start, then every ``RETENTION_INTERVAL_S``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from liveevent.domain.events import EventState
from liveevent.errors import Conflict, LiveEventError
from liveevent.office.summary import summary
from liveevent.store.purge import forget_on_disk, purge_event, purge_expired
from liveevent.web import api, frames
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SETTINGS, STORE
from liveevent.web.auth import require_admin
from liveevent.web.background import cancel_and_wait

log = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 3600.0

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)


@routes.get("/api/summary", name="summary")
async def get_summary(request: web.Request) -> web.Response:
    """Every event's numbers as UTF-8 JSON: employers' names read as written (``"华为"``), not
    as ``\\uXXXX`` escapes, for an organiser who opens it with curl or a browser.

    ``GET /api/summary`` (admin). Raises ``Unauthenticated`` (401), ``Forbidden`` (403),
    ``StoreUnavailable`` (503)."""
    require_admin(request)
    report = await summary(request.app[EVENTS], request.app[APPLICATIONS])
    return web.Response(body=frames.dumps(report), content_type="application/json", charset="utf-8")


@routes.post("/api/events/{event_id}/purge", name="purge")
async def purge(request: web.Request) -> web.Response:
    """Purge an ended event now; 409 while it is scheduled or live.

    ``POST /api/events/{id}/purge`` (admin): removes names and phones (``purge_event``),
    audits it, then has the store's files rewritten (``forget_on_disk``); answers
    ``{"event_id", "applications", "applicants", "operator_todo": [sentences]}``. Raises
    ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``Conflict`` (409),
    ``StoreUnavailable`` (503; a failure after the purge leaves the event purged).
    """
    require_admin(request)
    event_id = request.match_info["event_id"]
    view = await request.app[EVENTS].event_view(event_id)
    if view.state is not EventState.ENDED:
        raise Conflict(f"only an ended event can be purged (it is {view.state})")
    now = api.now_ms()
    report = await purge_event(request.app[STORE], event_id, now=now)
    await request.app[APPLICATIONS].audit(
        event_id, {"what": "purge", "by": "admin", "at": now, "rows": report.applications}
    )
    disk = await forget_on_disk(request.app[STORE])  # then the store's files (store/purge.py)
    return web.json_response(
        {"event_id": event_id, "applications": report.applications,
         "applicants": report.applicants, "operator_todo": list(disk.todo)}
    )  # fmt: skip


async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
    """Runs the retention purge while the app runs (nothing when retention is not set).

    An aiohttp cleanup context: every ``RETENTION_INTERVAL_S`` (an hour) it purges events
    ended over ``retention_days`` days ago. Store errors are logged and retried next hour,
    never raised.
    """
    days = app[SETTINGS].retention_days
    task = asyncio.create_task(_retention(app, days), name="liveevent-retention") if days else None
    yield
    await cancel_and_wait(task)


async def _retention(app: web.Application, days: int) -> None:
    while True:
        try:
            ids = await app[EVENTS].event_ids()
            done = await purge_expired(app[STORE], ids, retention_days=days, now=api.now_ms())
            for report in done:
                await app[APPLICATIONS].audit(
                    report.event_id,
                    {"what": "purge", "by": "retention", "at": api.now_ms(),
                     "rows": report.applications},
                )  # fmt: skip
            if done:
                await forget_on_disk(app[STORE])  # logs what the operator must still do
        except LiveEventError as exc:
            log.warning("retention purge failed: %s", exc.code)
        await asyncio.sleep(RETENTION_INTERVAL_S)
