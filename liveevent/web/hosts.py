"""Several hosts, one per studio (issue 16, part 1): ``/api/events/{id}/hosts``.

Staff give each studio its own host token with a name (``domain.access.Grant``, role
``host``). Every card push and withdrawal records the name of the host who did it (the card's
``pushed_by``, the withdrawal's ``by``), shown in the host console, the pushes export and
``liveevent watch``. The event's own host token keeps working, named ``host``.

The console link carries the token in the fragment (``/host/{id}#token=...``), as for the
event's own host token: a fragment never reaches a server, a log or a Referer header
(docs/security.md).
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from liveevent.domain.access import Grant, Role
from liveevent.errors import Conflict
from liveevent.web import api
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SETTINGS
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json

routes = web.RouteTableDef()

MAX_HOSTS = 50  # named host grants per event: studios, not viewers


def console_link(event_id: str, token: str) -> str:
    """The host console's address for ``token`` (path-absolute; the token in the fragment).

    Raises nothing."""
    return f"/host/{quote(event_id, safe='')}#token={quote(token, safe='')}"


@routes.post("/api/events/{event_id}/hosts", name="create_host")
async def create_host(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/hosts`` (staff): ``{"name"}`` (1-50 characters) makes a host
    token for one studio. 201 ``{"role": "host", "name", "scope": null, "created_at",
    "token", "console_url"}``; the token is shown this once (the store keeps its SHA-256).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403: not staff or admin; a host may not
    make hosts), ``NotFound`` (404), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``InvalidInput`` (422, naming ``name``), ``Conflict`` (409: the name is taken, ``host``
    included, or the event has ``MAX_HOSTS`` already), ``StoreUnavailable`` (503).

    Not exactly once: a retry after a lost reply can leave a second grant of the same name
    whose token nobody received (it opens nothing; ``EventStore.add_grant``). The name check
    is a read before the write, so two staff naming two studios alike at the same instant
    could both succeed; the names stay distinct in every ordinary use.
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("staff",))
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    grant = Grant.parse(body, role=Role.HOST, now=api.now_ms())
    events = request.app[EVENTS]
    hosts = [g for g in await events.grants(event_id) if g.role is Role.HOST]
    if grant.name == str(Role.HOST) or any(g.name == grant.name for g in hosts):
        raise Conflict(f"a host named {grant.name!r} exists", fields={"name": "taken"})
    if len(hosts) >= MAX_HOSTS:
        raise Conflict(f"an event has at most {MAX_HOSTS} named hosts", fields={"name": "too many"})
    token = await events.add_grant(event_id, grant)
    await request.app[APPLICATIONS].audit(
        event_id,
        {"what": "host_grant", "name": grant.name, "by": caller.name, "at": grant.created_at},
    )
    wire = grant.to_wire()
    wire.update(token=token, console_url=console_link(event_id, token))
    return web.json_response(wire, status=201, headers={"Cache-Control": "no-store"})


@routes.get("/api/events/{event_id}/hosts", name="list_hosts")
async def list_hosts(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/hosts`` (staff, host): ``{"hosts": [{"role", "name", "scope",
    "created_at"}, ...]}``, the event's own host (``name`` "host", ``created_at`` 0) first,
    then the named ones oldest first. Never a token (the store has none).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff", "host"))
    named = [g for g in await request.app[EVENTS].grants(event_id) if g.role is Role.HOST]
    hosts = [Grant.built_in(Role.HOST), *named]
    return web.json_response({"hosts": [g.to_wire() for g in hosts]})
