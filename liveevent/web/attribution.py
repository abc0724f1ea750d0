"""Cities and channels over HTTP, and the checks that tie viewers and applications to them
(issue 16). See docs/api.md, "Cities and channels".

- ``PUT /api/events/{id}/cities`` (staff): the event's cities.
- ``POST``/``GET /api/events/{id}/channels`` (staff; GET also host): channels, each with its
  link (``/e/{id}?ch=<channel>``) and QR code (``/api/events/{id}/qr.svg?ch=<channel>``).
- ``check_and_enqueue``: an application's ``city`` and ``channel`` must be the event's.
- ``greet``: a viewer's ``hello`` message (viewer id, city, channel) counts a unique viewer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.attribution import Channel, parse_cities
from liveevent.errors import InvalidInput, LiveEventError
from liveevent.store.applications import Applied, PendingApply
from liveevent.web.appkeys import ATTRIBUTION, INGEST, SETTINGS
from liveevent.web.auth import require_role
from liveevent.web.middleware import read_json
from liveevent.web.pages import viewer_url

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


def _now_ms() -> int:
    return int(time.time() * 1000)


def channel_wire(request: web.Request, event_id: str, channel: Channel) -> dict[str, Any]:
    """A channel as clients get it: ``{"id", "name", "created_at" (ISO 8601), "link",
    "qr"}``; ``link`` is absolute (``viewer_url``), ``qr`` a path on this server.
    Raises ``ClientError`` (400, ``Host``) as ``viewer_url`` does."""
    return {
        "id": channel.id,
        "name": channel.name,
        "created_at": values.iso(channel.created_at),
        "link": f"{viewer_url(request, event_id)}?ch={channel.id}",
        "qr": f"/api/events/{event_id}/qr.svg?ch={channel.id}",
    }


@routes.put("/api/events/{event_id}/cities", name="set_cities")
async def set_cities(request: web.Request) -> web.Response:
    """``PUT /api/events/{id}/cities`` (staff): ``{"cities": ["杭州", "宁波"]}`` replaces the
    event's cities (0-20 names); jobs whose city names one of them another way take its name.
    Answers ``{"cities"}``. Naturally idempotent (a replacement).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``InvalidInput`` (422, naming ``cities``), ``MalformedBody`` (400), ``BodyTooLarge``
    (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff",))
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"cities"}),
        what="body",
    )
    if "cities" not in body:
        raise InvalidInput("cities is required", fields={"cities": "required"})
    event = await request.app[ATTRIBUTION].set_cities(event_id, parse_cities(body))
    return web.json_response({"cities": list(event.cities)})


@routes.post("/api/events/{event_id}/channels", name="add_channel")
async def add_channel(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/channels`` (staff): ``{"name": "视频号"}``; 201 with the new
    channel (``channel_wire``), or 200 with the existing one of that name (a retry is
    answered as the first call: naturally idempotent by name).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``InvalidInput`` (422, naming ``name``), ``Conflict`` (409, over 100 channels),
    ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff",))
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    channel = Channel.parse(body, channel_id=secrets.token_hex(4), now=_now_ms())
    stored, created = await request.app[ATTRIBUTION].add_channel(event_id, channel)
    return web.json_response(
        channel_wire(request, event_id, stored), status=201 if created else 200
    )


@routes.get("/api/events/{event_id}/channels", name="list_channels")
async def list_channels(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/channels`` (staff, host): ``{"channels": [channel_wire, ...]}``,
    oldest first.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff", "host"))
    channels = await request.app[ATTRIBUTION].channels(event_id)
    return web.json_response(
        {"channels": [channel_wire(request, event_id, c) for c in channels]},
        headers={"Cache-Control": "no-store"},
    )


def _check(
    known: tuple[tuple[str, ...], frozenset[str]], city: str | None, channel: str | None
) -> None:
    """Raise ``InvalidInput`` naming ``city`` and/or ``channel`` unless each given is the
    event's."""
    cities, channels = known
    problems: dict[str, str] = {}
    if city is not None and city not in cities:
        problems["city"] = "not one of this event's cities" if cities else "this event has none"
    if channel is not None and channel not in channels:
        problems["channel"] = "not one of this event's channels"
    if problems:
        raise InvalidInput("unknown " + " and ".join(problems), fields=problems)


def check_and_enqueue(app: web.Application, item: PendingApply) -> asyncio.Future[Applied]:
    """Queue an application whose ``city``/``channel`` must be the event's (checked here, in
    the web layer: the store's APPLY script trusts them).

    From memory (``AttributionStore.known_now``) the check is immediate and raises
    ``InvalidInput`` at once; otherwise the returned future first reads the event's cities
    and channels and ends with that ``InvalidInput`` (or ``NotFound``, ``StoreUnavailable``)
    instead of being queued. Raises ``StoreUnavailable`` while shutting down.
    """
    req: ApplyRequest = item.request
    if req.city is None and req.channel is None:
        return app[INGEST].enqueue(item)
    store = app[ATTRIBUTION]
    known = store.known_now(item.event_id)
    if known is not None:
        _check(known, req.city, req.channel)
        return app[INGEST].enqueue(item)

    async def checked() -> Applied:
        _check(await store.known(item.event_id), req.city, req.channel)
        return await app[INGEST].enqueue(item)

    return asyncio.ensure_future(checked())


def checked_future(
    app: web.Application, item: PendingApply, store: Callable[[], Awaitable[Applied]]
) -> asyncio.Future[Applied]:
    """``store()`` (a way in that stores the application itself, such as a replay's) once the
    application's ``city`` and ``channel`` are found to be the event's. The future ends with
    ``InvalidInput`` naming them (nothing stored), or with what ``store()`` answers or raises.
    Raises nothing itself."""
    req = item.request

    async def checked() -> Applied:
        if req.city is not None or req.channel is not None:
            _check(await app[ATTRIBUTION].known(item.event_id), req.city, req.channel)
        return await store()

    return asyncio.ensure_future(checked())


_GREETINGS: set[asyncio.Task[None]] = set()  # kept until done (the loop holds tasks weakly)


def greet(
    app: web.Application,
    event_id: str,
    message: dict[str, Any],
    reply: Callable[[dict[str, Any]], None],
) -> None:
    """A viewer's ``{"type": "hello", "viewer", "city"?, "channel"?}``: count the viewer
    (``viewer`` 1-64 of ``A-Za-z0-9_-``, a random id the page keeps) among the unique
    viewers, of its city and of its channel. Sent again when the viewer changes city.

    Raises ``InvalidInput`` at once for a bad ``viewer`` or an unknown field; an unknown city
    or channel is answered later through ``reply`` (an ``error`` message naming it), and
    nothing is counted. Returns None; the count happens in the background.
    """
    body = values.only_fields(
        message, frozenset({"type", "ref", "viewer", "city", "channel"}), what="message"
    )
    viewer_id = values.identifier(body, "viewer")
    city = values.optional_text(body, "city", max_len=20)
    channel = values.identifier(body, "channel") if body.get("channel") is not None else None
    store = app[ATTRIBUTION]

    async def count() -> None:
        try:
            _check(await store.known(event_id), city, channel)
            await store.count_viewer(event_id, viewer_id, city=city, channel=channel)
        except LiveEventError as exc:
            error: dict[str, Any] = {"type": "error", "ref": body.get("ref"), "code": exc.code}
            error.update(message=exc.message, fields=exc.fields)
            reply(error)

    task = asyncio.ensure_future(count())
    _GREETINGS.add(task)
    task.add_done_callback(_GREETINGS.discard)
