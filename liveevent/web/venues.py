"""Venues of a hybrid fair: their check-in and the station that applies on people's behalf.

``domain/venues.py`` states the rules. Roles: staff create and list venues (and hand out
station tokens); anyone may read a venue's name and check in at it; a ``station`` grant (scope:
its venue id) reads its own venue and applies for the people in front of it, credited to that
venue (``venue`` and ``source = station`` come from the token, never from the body).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

import orjson
from aiohttp import web

from liveevent.domain.access import Grant, Role
from liveevent.domain.applications import ApplyRequest, Source
from liveevent.domain.venues import CheckIn, Venue, require_consent
from liveevent.errors import Forbidden, InvalidInput
from liveevent.store.applications import PendingApply
from liveevent.web import attribution
from liveevent.web.appkeys import (
    APPLICATIONS,
    ATTRIBUTION,
    EVENTS,
    SETTINGS,
    VENUES,
    WAITLIST,
)
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json, require_json
from liveevent.web.pages import checkin_url, public_base, static_dir
from liveevent.web.proxies import client_ip

routes = web.RouteTableDef()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _json(body: dict[str, Any], status: int = 200, *, private: bool = False) -> web.Response:
    headers = {"Cache-Control": "no-store"} if private else None
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


async def _audit(
    request: web.Request, event_id: str, caller: Grant, what: str, venue: Venue
) -> None:
    """An audit entry naming who did ``what`` to ``venue`` (the caller's grant name and role)."""
    entry = {"what": what, "venue": venue.id, "by": caller.name, "role": str(caller.role)}
    await request.app[APPLICATIONS].audit(event_id, {**entry, "at": _now_ms()})


async def _station_grant(
    request: web.Request, event_id: str, venue: Venue, caller: Grant
) -> dict[str, Any]:
    """A new station token for ``venue`` and the station page's link (token in the fragment,
    never in a query string: docs/security.md item 3); audited with who made it."""
    grant = Grant(role=Role.STATION, name=venue.name, scope=venue.id, created_at=_now_ms())
    token = await request.app[EVENTS].add_grant(event_id, grant)
    await _audit(request, event_id, caller, "station_grant", venue)
    return {
        "token": token,
        "url": f"{public_base(request)}/station/{event_id}#token={token}",
        "name": grant.name,
    }


def _links(request: web.Request, event_id: str, venue: Venue) -> dict[str, Any]:
    return {
        "checkin_url": checkin_url(request, event_id, venue.id),
        "qr_url": f"/api/events/{event_id}/qr.svg?venue={venue.id}",
    }


@routes.post("/api/events/{event_id}/venues", name="create_venue")
async def create_venue(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/venues`` (staff): ``{"name", "kind"?: "hall" | "station",
    "city"?, "address"?}``.

    201 ``{"venue": Venue.to_wire(), "checkin_url", "qr_url", "station": {"token", "url",
    "name"}}``: the station token is shown this once. Naturally idempotent under retry (the
    venue's record is built once; a retry after a lost reply may leave a second venue nobody
    was told about). Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound``
    (404), ``InvalidInput`` (422, naming each field; also past ``MAX_VENUES``),
    ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``ClientError`` (400, ``Host`` without
    ``public_url``), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, (Role.STAFF,))
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    venue = Venue.parse(body, venue_id=secrets.token_hex(4), now=_now_ms())
    public_base(request)  # a link that cannot be printed is refused before anything is stored
    await request.app[VENUES].add_venue(event_id, venue)
    await _audit(request, event_id, caller, "venue", venue)
    station = await _station_grant(request, event_id, venue, caller)
    wire = {"venue": venue.to_wire(), **_links(request, event_id, venue), "station": station}
    return _json(wire, 201, private=True)


@routes.get("/api/events/{event_id}/venues", name="list_venues")
async def list_venues(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/venues`` (staff, host): ``{"venues": [Venue.to_wire() with
    "checked_in", "checkin_url", "qr_url"], "checked_in"}`` (the total), oldest first.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``ClientError``
    (400, ``Host``), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, (Role.STAFF, Role.HOST))
    store = request.app[VENUES]
    venues = await store.venues(event_id)
    total, by_venue = await store.checked_in(event_id)
    rows = [
        {**v.to_wire(), "checked_in": by_venue.get(v.id, 0), **_links(request, event_id, v)}
        for v in venues
    ]
    return _json({"venues": rows, "checked_in": total})


@routes.post("/api/events/{event_id}/venues/{venue_id}/stations", name="add_station")
async def add_station(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/venues/{venue}/stations`` (staff, no body): another station
    token for this venue (a second tablet, or one that was lost: the old token keeps working).

    201 ``{"token", "url", "name"}``, shown this once. Raises ``Unauthenticated`` (401),
    ``Forbidden`` (403), ``NotFound`` (404, event or venue), ``ClientError`` (400, ``Host``),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, (Role.STAFF,))
    venue = await request.app[VENUES].venue(event_id, request.match_info["venue_id"])
    public_base(request)
    return _json(await _station_grant(request, event_id, venue, caller), 201, private=True)


@routes.delete("/api/events/{event_id}/venues/{venue_id}/stations", name="revoke_stations")
async def revoke_stations(request: web.Request) -> web.Response:
    """``DELETE /api/events/{id}/venues/{venue}/stations`` (staff, no body): every station
    token of this venue stops working (a lost tablet, a photographed desk link); then ``POST``
    the same address for a new one. Within ``EventStore.role_memory_s`` (5 s) on every node.

    200 ``{"revoked": n}``. Naturally idempotent: a retry revokes nothing more (or what was
    made since). Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404,
    event or venue), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, (Role.STAFF,))
    venue = await request.app[VENUES].venue(event_id, request.match_info["venue_id"])
    revoked = await request.app[VENUES].revoke_stations(event_id, venue.id)
    await _audit(request, event_id, caller, "stations_revoked", venue)
    return _json({"revoked": revoked}, private=True)


@routes.get("/api/events/{event_id}/venues/{venue_id}", name="get_venue")
async def get_venue(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/venues/{venue}`` (public: the check-in page reads it):
    ``Venue.to_wire()``. Raises ``NotFound`` (404, event or venue), ``StoreUnavailable``
    (503)."""
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    venue = await request.app[VENUES].venue(event_id, request.match_info["venue_id"])
    return _json(venue.to_wire())


@routes.post("/api/events/{event_id}/venues/{venue_id}/checkins", name="check_in")
async def check_in(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/venues/{venue}/checkins`` (public, JSON only): ``{"name",
    "phone", "consent": true}``.

    201 ``{"checkin_id", "duplicate": false}``; 200 with the first id and ``true`` when this
    phone already checked in at this venue. Naturally idempotent under retry (deduped per
    venue by phone: ``scripts.CHECKIN``). New check-ins per client address are limited like
    applies (``apply_rate_per_ip`` per ``rate_window_s``). Raises ``UnsupportedMediaType``
    (415), ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``InvalidInput`` (422, naming
    each field), ``NotFound`` (404, event or venue), ``Conflict`` (409, personal data
    purged), ``RateLimited`` (429), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    require_json(request)
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    try:
        checkin = CheckIn.parse(body)
    except InvalidInput:
        await request.app[EVENTS].event_view(event_id)  # an unknown event is 404 first
        raise
    settings = request.app[SETTINGS]
    checkin_id, duplicate = await request.app[VENUES].check_in(
        event_id,
        request.match_info["venue_id"],
        checkin,
        checkin_id=secrets.token_hex(6),
        now=_now_ms(),
        ip=client_ip(request),
        rate_limit=settings.apply_rate_per_ip,
        window_s=settings.rate_window_s,
    )
    return _json({"checkin_id": checkin_id, "duplicate": duplicate}, 200 if duplicate else 201)


async def _station_venue(request: web.Request, event_id: str) -> tuple[Grant, Venue | None]:
    grant = await require_caller(request, event_id, (Role.STATION,))
    if grant.role is not Role.STATION:
        return grant, None  # admin: no venue of its own
    if grant.scope is None:  # Grant.parse requires a scope for a station; a stored one lacks it
        raise Forbidden("this station token has no venue")
    return grant, await request.app[VENUES].venue(event_id, grant.scope)


@routes.get("/api/events/{event_id}/station", name="station_self")
async def station_self(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/station`` (station): the station's own venue, ``{"venue":
    Venue.to_wire(), "name"}`` (``name``: the grant's holder). Raises ``Unauthenticated``
    (401), ``Forbidden`` (403, any other token), ``NotFound`` (404), ``StoreUnavailable``
    (503)."""
    event_id = request.match_info["event_id"]
    grant, venue = await _station_venue(request, event_id)
    if venue is None:
        raise Forbidden("only a station token has a venue of its own")
    return _json({"venue": venue.to_wire(), "name": grant.name}, private=True)


@routes.post("/api/events/{event_id}/venues/{venue_id}/applications", name="station_apply")
async def station_apply(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/venues/{venue}/applications`` (station of that venue, or
    admin; JSON only): an apply body (``ApplyRequest``: ``job_id``, ``name``, ``phone``,
    ``consent`` which must be ``true``, ``idempotency_key``) for a person at the venue.

    Stored with ``venue`` = the venue and ``source`` = ``station``, whatever the body says,
    and with the venue's city when the body names none (if it is one of the event's); a
    ``city`` or ``channel`` that is not the event's is refused (422).
    Not held to the per-address limit (a station applies for a room of people from one
    address) but to ``station_apply_rate`` per ``rate_window_s`` per venue. Exactly once
    under retry: the station page sends each person's ``idempotency_key`` (the APPLY script
    answers a repeat with the first answer), and the same phone and job is one application
    anyway. 201 ``{"application_id", "duplicate": false, "waitlist"}``, or 200 with
    ``duplicate: true`` for a repeat (``waitlist``: the job was filled, ``web.waitlist``).
    Raises ``Unauthenticated`` (401), ``Forbidden`` (403: another role, another event's or
    another venue's station), ``UnsupportedMediaType`` (415), ``MalformedBody`` (400),
    ``BodyTooLarge`` (413), ``InvalidInput`` (422), ``NotFound`` (404, event, venue or job),
    ``RateLimited`` (429), ``Conflict`` (409, purged), ``StoreUnavailable`` (503).
    """
    event_id, venue_id = request.match_info["event_id"], request.match_info["venue_id"]
    require_json(request)
    _, venue = await _station_venue(request, event_id)
    if venue is None:
        venue = await request.app[VENUES].venue(event_id, venue_id)
    elif venue.id != venue_id:
        raise Forbidden("this station token belongs to another venue")
    settings = request.app[SETTINGS]
    body = await read_json(request, settings.max_body_bytes)
    parsed = _station_request(body)
    # card_id: only a replay application names its card (issue 17); a station's never does.
    req = dataclasses.replace(parsed, venue=venue.id, source=Source.STATION, card_id=None)
    if req.city is None and venue.city is not None:
        # Counted in the venue's city when the desk did not say (one of the event's cities
        # only: a venue's city is free text, checked nowhere else).
        cities, _ = await request.app[ATTRIBUTION].known(event_id)
        if venue.city in cities:
            req = dataclasses.replace(req, city=venue.city)
    await request.app[VENUES].spend_station_allowance(
        event_id, venue.id, limit=settings.station_apply_rate, window_s=settings.rate_window_s
    )
    # ip "": the per-address limit does not apply; the station's own did, above.
    item = PendingApply(event_id=event_id, request=req, via="station", now=_now_ms(), ip="")
    # A city or channel in the body must be the event's, as on the public path (422).
    stored = attribution.check_and_enqueue(request.app, item)
    answer = await request.app[WAITLIST].answer(event_id, req.job_id, stored)
    return _json(answer.to_wire(), 200 if answer.duplicate else 201)


def _station_request(body: Any) -> ApplyRequest:
    """An apply body that must also carry the person's own consent; every bad field named
    at once. Raises ``InvalidInput``."""
    problems: dict[str, str] = {}
    parsed = None
    try:
        parsed = ApplyRequest.parse(body)
    except InvalidInput as exc:
        problems.update(exc.fields)
        if not exc.fields:
            raise
    try:
        require_consent(body)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if parsed is None or problems:
        raise InvalidInput("the application has invalid fields", fields=problems)
    return parsed


@routes.get("/station-sw.js", name="station_worker")
async def station_worker(request: web.Request) -> web.FileResponse:
    """``GET /station-sw.js`` (public): the station page's service worker (it keeps the page
    on the tablet for a reload without network). Served from ``/`` so that its scope may be
    ``/station/``; ``no-store`` (the middleware's default) so a new one is picked up at once.
    Raises nothing of its own."""
    return web.FileResponse(static_dir() / "js" / "station-sw.js")


async def onsite_figures(app: web.Application, event_id: str) -> dict[str, Any]:
    """The on-site figures of ``GET /stats``: ``{"checked_in": total, "by_venue": {venue id:
    {"name", "kind", "city", "checked_in"}}}``. Raises ``StoreUnavailable``."""
    store = app[VENUES]
    venues = await store.venues(event_id)
    total, by_venue = await store.checked_in(event_id)
    return {
        "checked_in": total,
        "by_venue": {
            v.id: {
                "name": v.name,
                "kind": str(v.kind),
                "city": v.city,
                "checked_in": by_venue.get(v.id, 0),
            }
            for v in venues
        },
    }
