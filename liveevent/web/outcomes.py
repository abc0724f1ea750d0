"""``POST /api/events/{id}/outcomes``: an employer's outcome sheet (CSV or XLSX), staff only.

``?dry_run=1`` reports what would change and changes nothing. Rows that match no application
are reported, not guessed (see ``liveevent.office.outcomes``).
"""

from __future__ import annotations

from aiohttp import web

from liveevent.office.outcomes import import_outcomes
from liveevent.web import api
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SHEETS
from liveevent.web.auth import require_caller
from liveevent.web.imports import flag, read_upload

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)


@routes.post("/api/events/{event_id}/outcomes", name="import_outcomes")
async def outcomes(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/outcomes`` (staff): the module's sheet; answers the report
    (``import_outcomes``' ``to_wire``), 200 also for a dry run.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), what
    ``imports.read_upload`` raises (400, 413, 422), ``BodyTooLarge`` (413) and
    ``InvalidInput`` (422) for a sheet that cannot be read, ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("staff",))
    upload = await read_upload(request)
    report = await import_outcomes(
        request.app[EVENTS],
        request.app[APPLICATIONS],
        event_id,
        upload.data,
        by=caller.name,  # who did it: the grant's name, in the status stream and the audit
        role=str(caller.role),
        now=api.now_ms(),
        dry_run=flag(request, "dry_run"),
        reader=request.app[SHEETS],
        content_type=upload.content_type,
        mapping=upload.mapping,
    )
    return web.json_response(report.to_wire())
