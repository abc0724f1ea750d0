"""The status notices' switch over HTTP (issue 17 part 4; rules in ``domain.status_notices``).

| call | role |
|---|---|
| ``GET /api/events/{id}/status-notices`` | anyone: the apply form shows its checkbox when on |
| ``PUT /api/events/{id}/status-notices`` ``{"enabled": bool}`` | staff |
"""

from __future__ import annotations

from aiohttp import web

from liveevent.domain import values
from liveevent.domain.status_notices import CONSENT_TEXT, TOLD_STATUSES
from liveevent.errors import InvalidInput
from liveevent.store.status_notices import StatusNoticeSwitch
from liveevent.web.api import now_ms
from liveevent.web.appkeys import EVENTS, SETTINGS, STORE
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)


def _answer(on: bool) -> web.Response:
    return web.json_response(
        {"enabled": on, "statuses": sorted(TOLD_STATUSES), "consent": CONSENT_TEXT},
        headers={"Cache-Control": "no-cache"},
    )


@routes.get("/api/events/{event_id}/status-notices", name="status_notices")
async def status_notices(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/status-notices`` (anyone): ``{"enabled", "statuses" (the
    statuses told), "consent": {"zh-CN", "en"} (the apply form's checkbox text)}``.
    Raises ``NotFound`` (404), ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    return _answer(await StatusNoticeSwitch(request.app[STORE]).is_on(event_id))


@routes.put("/api/events/{event_id}/status-notices", name="set_status_notices")
async def set_status_notices(request: web.Request) -> web.Response:
    """``PUT /api/events/{id}/status-notices`` (staff) ``{"enabled": true|false}``: turn the
    event's status notices on or off; answers as ``GET``. Naturally idempotent. Changes made
    while off are never told, even after turning it on again.

    Raises ``InvalidInput`` (422 naming ``enabled``), ``Unauthenticated`` (401),
    ``Forbidden`` (403), ``NotFound`` (404), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff",))
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"enabled"}),
        what="body",
    )
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled must be true or false", fields={"enabled": "must be a boolean"})
    switch = StatusNoticeSwitch(request.app[STORE])
    return _answer(await switch.turn(event_id, enabled, now=now_ms()))
