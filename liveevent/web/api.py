"""The HTTP API: events, jobs, cards, applications, stats.

Handlers raise ``LiveEventError`` subclasses; ``middleware.errors_middleware`` turns each into
its HTTP status and ``{"error": {...}}`` body (``errors.py``), so each docstring names the
errors, with their status, and the JSON answered. Times on the wire are ISO 8601 UTC text.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable
from typing import Any

import orjson
from aiohttp import web

from liveevent.domain import values
from liveevent.domain.applications import ApplyRequest, Source, mask_phone, parse_status
from liveevent.domain.attribution import place_jobs
from liveevent.domain.events import EventState, LiveEvent, parse_state
from liveevent.domain.jobs import parse_jobs
from liveevent.domain.openings import remaining
from liveevent.domain.phones import normalize_phone
from liveevent.domain.venues import viewer_attribution
from liveevent.errors import Forbidden, InvalidInput, StoreUnavailable
from liveevent.store import keys
from liveevent.store.applications import Applied, PendingApply
from liveevent.store.events import new_token
from liveevent.web import attribution, imports, replays, venues
from liveevent.web.appkeys import APPLICATIONS, ATTRIBUTION, EVENTS, HUB, SETTINGS, WAITLIST
from liveevent.web.auth import require_admin, require_caller, require_role
from liveevent.web.middleware import read_json, require_json
from liveevent.web.proxies import client_ip as client_ip  # every per-address rule uses it
from liveevent.web.waitlist import ApplyAnswer

routes = web.RouteTableDef()


def now_ms() -> int:
    """The wall-clock time in Unix milliseconds. Raises nothing."""
    return int(time.time() * 1000)


def new_id(size: int = 8) -> str:
    """A fresh random id of ``size`` hex characters (rounded down to even, at least 2).

    From ``secrets``; raises nothing.
    """
    return secrets.token_hex(size // 2 if size > 1 else 1)


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: 200 ``{"ok": true, "store", "durability"}`` when the store answers.

    503 ``{"ok": false, "node": "draining"}`` while shutting down, ``{"ok": false, "store":
    "unreachable" | "out of memory"}`` when the store cannot take writes (for a load
    balancer). Raises nothing of its own.
    """
    if request.app[HUB].draining:  # shutting down: a balancer should send viewers elsewhere
        return web.json_response({"ok": False, "node": "draining"}, status=503)
    events = request.app[EVENTS]
    try:
        used, limit = await events.store_memory()
    except StoreUnavailable:  # the answer says so; any other error is a bug for the middleware
        return web.json_response({"ok": False, "store": "unreachable"}, status=503)
    conn = events.conn
    if limit and used >= limit:
        return web.json_response({"ok": False, "store": "out of memory"}, status=503)
    return web.json_response({"ok": True, "store": conn.server, "durability": str(conn.durability)})


@routes.post("/api/events", name="create_event")
async def create_event(request: web.Request) -> web.Response:
    """``POST /api/events`` (admin): 201 with the event (``LiveEvent.to_wire``) and its
    ``host_token``, ``staff_token`` and ``overlay_token``, shown this once.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``BodyTooLarge`` (413),
    ``MalformedBody`` (400), ``InvalidInput`` (422, see ``LiveEvent.parse``),
    ``StoreUnavailable`` (503).
    """
    require_admin(request)
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    event = LiveEvent.parse(body, event_id=new_id(10), now=now_ms())
    tokens = {role: new_token() for role in ("host", "staff", "overlay")}
    await request.app[EVENTS].create_event(event, tokens)
    wire = event.to_wire(EventState.SCHEDULED)
    wire.update(
        host_token=tokens["host"], staff_token=tokens["staff"], overlay_token=tokens["overlay"]
    )
    return web.json_response(wire, status=201)


@routes.get("/api/events/{event_id}", name="get_event")
async def get_event(request: web.Request) -> web.Response:
    """``GET /api/events/{id}`` (public): the event as viewers see it (``EventView.to_wire``).

    Raises ``NotFound`` (404), ``StoreUnavailable`` (503).
    """
    view = await request.app[EVENTS].event_view(request.match_info["event_id"])
    return web.json_response(view.to_wire())


@routes.get("/api/events/{event_id}/overlay-token", name="overlay_token")
async def overlay_token(request: web.Request) -> web.Response:
    """``{"overlay_token"}`` for the host (or admin): the OBS overlay's link is
    ``/overlay/{id}?token=<overlay_token>``, never the host's own token (docs/security.md).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("host",))
    token = await request.app[EVENTS].overlay_token(event_id)
    return web.json_response({"overlay_token": token}, headers={"Cache-Control": "no-store"})


@routes.post("/api/events/{event_id}/jobs", name="upsert_jobs")
async def upsert_jobs(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/jobs`` (staff): a JSON array of jobs, or a CSV/XLSX sheet.

    Answers ``{"created", "updated", "job_ids"}`` (201 if any was created, else 200); a
    sheet answers as ``imports.upsert_jobs_from_sheet``. Raises ``Unauthenticated`` (401),
    ``Forbidden`` (403), ``NotFound`` (404), ``BodyTooLarge`` (413, over
    ``max_upload_bytes``), ``MalformedBody`` (400), ``InvalidInput`` (422, every bad field
    keyed ``[index].field``; nothing stored), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff",))
    if imports.is_sheet(request):  # CSV or XLSX: web/imports.py
        return await imports.upsert_jobs_from_sheet(request, event_id)
    body = await read_json(request, request.app[SETTINGS].max_upload_bytes)
    size = len(body) if isinstance(body, list) else 0
    jobs = parse_jobs(body, [new_id(8) for _ in range(size)])
    # Each job's city in the event's terms (``浙江省宁波市`` is 宁波): domain/attribution.py.
    jobs = place_jobs(jobs, (await request.app[EVENTS].event_view(event_id)).event.cities)
    created, updated = await request.app[EVENTS].upsert_jobs(event_id, jobs)
    return web.json_response(
        {"created": created, "updated": updated, "job_ids": [j.id for j in jobs]},
        status=201 if created else 200,
    )


@routes.get("/api/events/{event_id}/jobs", name="list_jobs")
async def list_jobs(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/jobs`` (public): ``{"jobs": [Job.to_wire(), ...]}``, in the
    order they were added. Raises ``NotFound`` (404), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    jobs = await request.app[EVENTS].jobs(event_id)
    return web.json_response({"jobs": [j.to_wire() for j in jobs]})


@routes.post("/api/events/{event_id}/state", name="set_state")
async def set_state(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/state`` (host): ``{"state": "live" | "ended"}``; answers
    ``{"state", "cursor"}``.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``InvalidInput`` (422), ``Conflict`` (409, a move ``domain.events`` forbids),
    ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("host",))
    target = parse_state(await read_json(request, request.app[SETTINGS].max_body_bytes))
    cursor = await request.app[EVENTS].set_state(event_id, target, now=now_ms())
    if target is EventState.LIVE:  # the go-live reminders (web/signups.py; swept if this fails)
        from liveevent.web.signups import went_live

        await went_live(request.app, event_id, request)
    return web.json_response({"state": str(target), "cursor": cursor})


@routes.post("/api/events/{event_id}/cards", name="push_card")
async def push_card(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/cards`` (host): ``{"job_id"}``; 201 ``{"card_id", "job_id",
    "pushed_at", "pushed_by", "cursor"}``, and every viewer gets the card. ``pushed_by`` is
    the name of the caller's host grant ("host" for the event's own token).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404, event or job),
    ``Conflict`` (409, the event is not live), ``InvalidInput`` (422), ``MalformedBody``
    (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("host",))
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"job_id"}),
        what="body",
    )
    job_id = values.identifier(body, "job_id")
    card_id, pushed_at = new_id(8), now_ms()
    cursor = await request.app[EVENTS].push_card(
        event_id, job_id, card_id=card_id, pushed_at=pushed_at, pushed_by=caller.name
    )
    return web.json_response(
        {
            "card_id": card_id,
            "job_id": job_id,
            "pushed_at": values.iso(pushed_at),
            "pushed_by": caller.name,
            "cursor": cursor,
        },
        status=201,
    )


@routes.delete("/api/events/{event_id}/cards/current", name="withdraw_card")
async def withdraw_card(request: web.Request) -> web.Response:
    """``DELETE /api/events/{id}/cards/current`` (host): 204, the card leaves every screen;
    the withdrawal names the caller's host grant (``by``).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``Conflict``
    (409, no card on screen), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("host",))
    await request.app[EVENTS].withdraw_card(event_id, now=now_ms(), by=caller.name)
    return web.Response(status=204)


@routes.get("/api/events/{event_id}/cards", name="list_cards")
async def list_cards(request: web.Request) -> web.Response:
    """Every card pushed so far (the viewer's "jobs shown so far").

    ``GET /api/events/{id}/cards`` (public): ``{"cards": [JobCard.to_wire(), ...], "hires":
    {job id: confirmed hires}, "cursor"}``, cards oldest first; ``hires`` covers the cards'
    jobs (for positions remaining, ``domain.openings``) and is at least as new as ``cursor``
    (the timeline position read first), so a page can tell it from an older live message.
    Raises ``NotFound`` (404), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    events = request.app[EVENTS]
    view = await events.event_view(event_id)
    cards = await events.pushed_cards(event_id)
    hires = await events.job_hires(event_id, list(dict.fromkeys(c.job.id for c in cards)))
    return web.json_response(
        {"cards": [c.to_wire() for c in cards], "hires": hires, "cursor": view.cursor}
    )


async def apply(
    request: web.Request, event_id: str, body: Any, *, via: str, ip: str
) -> ApplyAnswer:
    """Validate and store one application; returns its answer (``application_id``,
    ``duplicate``, ``waitlist``: ``web.waitlist``).

    ``via`` names the way in (``"http"``, ``"ws"``), ``ip`` the address the per-address limit
    counts (``client_ip``). Raises ``InvalidInput`` (bad body), and what the store answered:
    ``NotFound``, ``RateLimited``, ``Conflict`` (purged event), ``StoreUnavailable``.
    """
    return await enqueue_apply(request, event_id, body, via=via, ip=ip)


def enqueue_apply(
    request: web.Request, event_id: str, body: Any, *, via: str, ip: str
) -> asyncio.Future[ApplyAnswer]:
    """Validate one application (raising at once if it is bad) and queue it for storing.

    The future is done once the application is on disk, with its answer (``waitlist``: whether
    the job was filled, read after the application is stored: ``web.waitlist``), or with the
    error that stopped it
    (for a replay application also ``Conflict`` or ``InvalidInput`` naming ``card_id``:
    ``replays.enqueue_replay_apply``). Raises ``InvalidInput`` at once for a bad body,
    ``StoreUnavailable`` while shutting down.
    """
    req = viewer_attribution(ApplyRequest.parse(body))  # no venue or station source here
    # The per-address limit is global across nodes: the store counts it (scripts.APPLY).
    item = PendingApply(event_id=event_id, request=req, via=via, now=now_ms(), ip=ip)
    stored: Awaitable[Applied]
    if req.source is Source.REPLAY:  # checked against the event's recording first (issue 17)
        stored = attribution.checked_future(
            request.app, item, lambda: replays.enqueue_replay_apply(request.app, item)
        )
    else:
        # A city or channel must be the event's (422 naming it): web/attribution.py.
        stored = attribution.check_and_enqueue(request.app, item)
    return asyncio.ensure_future(request.app[WAITLIST].answer(event_id, req.job_id, stored))


async def create_application(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/applications`` (public): an apply body (``ApplyRequest``).

    201 ``{"application_id", "duplicate": false, "waitlist"}``, or 200 with ``duplicate: true``
    for a repeat; ``waitlist`` true when the job had no place left (``web.waitlist``). Raises
    ``UnsupportedMediaType`` (415, not ``application/json``), ``MalformedBody`` (400),
    ``BodyTooLarge`` (413), ``NotFound`` (404, event or job), ``InvalidInput`` (422),
    ``RateLimited`` (429), ``Conflict`` (409, purged), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    require_json(request)  # a cross-site form or no-cors fetch cannot send application/json
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    # An unknown event is answered 404 by the store's APPLY script: no read before every
    # apply. Only a bad body, refused before it reaches the store, looks the event up, so
    # that an unknown event is 404 whatever the body.
    try:
        answer = await apply(request, event_id, body, via="http", ip=client_ip(request))
    except InvalidInput:
        await request.app[EVENTS].event_view(event_id)
        raise
    return web.Response(
        body=orjson.dumps(answer.to_wire()),
        status=200 if answer.duplicate else 201,
        content_type="application/json",
    )


@routes.patch("/api/events/{event_id}/applications/{application_id}", name="set_status")
async def set_status(request: web.Request) -> web.Response:
    """``PATCH /api/events/{id}/applications/{application_id}`` (staff): ``{"status"}``.

    Answers ``{"application_id", "from", "status"}``. The status stream records ``by`` (the
    caller's grant name: ``staff``, ``admin`` or a named grant's holder) and ``role``.
    Raises ``Unauthenticated`` (401),
    ``Forbidden`` (403), ``NotFound`` (404), ``InvalidInput`` (422), ``Conflict`` (409,
    already in that status), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("staff",))
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"status"}),
        what="body",
    )
    target = parse_status(body)
    application_id = request.match_info["application_id"]
    before, after = await request.app[APPLICATIONS].change_status(
        event_id, application_id, target, by=caller.name, now=now_ms(), role=str(caller.role)
    )
    return web.json_response(
        {"application_id": application_id, "from": str(before), "status": str(after)}
    )


@routes.patch("/api/events/{event_id}/applications", name="set_status_bulk")
async def set_status_bulk(request: web.Request) -> web.Response:
    """Change many applications at once: ``{"application_ids": [...], "status"}``.

    ``PATCH /api/events/{id}/applications`` (staff), 1-1000 ids; answers ``{"changed",
    "unchanged", "status"}``; each change records ``by`` (the grant's name) and ``role``, as
    one change does. Raises ``InvalidInput`` (422, naming ``application_ids`` or
    ``status``), ``NotFound`` (404, an unknown id: nothing changed), ``Unauthenticated``
    (401), ``Forbidden`` (403), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    caller = await require_caller(request, event_id, ("staff",))
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"application_ids", "status"}),
        what="body",
    )
    target = parse_status(body)
    ids = body.get("application_ids")
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= 1000
        # isprintable: no control character and no lone surrogate (which JSON text may hold
        # and the store's encoder cannot write: it was a 500).
        or not all(isinstance(i, str) and 0 < len(i) <= 32 and i.isprintable() for i in ids)
    ):
        why = "must be a list of 1-1000 application ids"
        raise InvalidInput(f"application_ids {why}", fields={"application_ids": why})
    # One store call for all of them (scripts.STATUS_MANY): every id checked, then all changed.
    changed, unchanged = await request.app[APPLICATIONS].change_status_many(
        event_id, ids, target, by=caller.name, now=now_ms(), role=str(caller.role)
    )
    return web.json_response({"changed": changed, "unchanged": unchanged, "status": str(target)})


@routes.get("/api/events/{event_id}/applications", name="list_applications")
async def list_applications(request: web.Request) -> web.Response:
    """Applications, filtered by ``job_id`` / ``status`` / ``phone``, paged by ``offset`` /
    ``limit``.

    Staff see phone numbers in full; hosts see them masked, and may not search by phone (that
    would tell them who applied). ``phone`` is read by the one phone rule (`normalize_phone`), so
    any accepted way of writing it finds the application.

    ``GET /api/events/{id}/applications`` (staff, host): ``{"applications": [record with
    ``status``, ``applied_at`` as ISO 8601], "total", "offset"}``; ``limit`` 1-500 (default
    50). Raises ``Unauthenticated`` (401), ``Forbidden`` (403, and a host searching by
    phone), ``NotFound`` (404), ``InvalidInput`` (422: ``offset``/``limit`` not numbers, an
    unknown ``status``, a bad ``phone``), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    role = await require_role(request, event_id, ("staff", "host"))
    query = request.query
    job_id, status = query.get("job_id"), query.get("status")
    phone = query.get("phone")
    if phone is not None:
        if role == "host":
            raise Forbidden("a host token may not search by phone")
        phone = normalize_phone(phone)
    try:
        offset = max(0, int(query.get("offset", "0")))
        limit = min(500, max(1, int(query.get("limit", "50"))))
    except ValueError:
        raise InvalidInput(
            "offset and limit must be numbers", fields={"offset": "number", "limit": "number"}
        ) from None
    # An unknown status is a bad request (naming the field), not an empty page.
    wanted = parse_status({"status": status}) if status else None
    # One store call that reads the page from the indexes (scripts.LIST_PAGE), never the
    # whole stream: the cost of a page does not grow with the number of applications.
    job_ids = [job.id for job in await request.app[EVENTS].jobs(event_id)] if phone else None
    total, page = await request.app[APPLICATIONS].page(
        event_id,
        offset=offset,
        limit=limit,
        job_id=job_id or None,
        status=wanted,
        phone=phone,
        job_ids=job_ids,
    )
    rows: list[dict[str, Any]] = []
    for application, current in page:
        row = application.to_record()
        row["applied_at"] = values.iso(application.applied_at)
        row["status"] = str(current)
        if role == "host":
            row["phone"] = mask_phone(application.phone)
        rows.append(row)
    return web.json_response({"applications": rows, "total": total, "offset": offset})


@routes.get("/api/events/{event_id}/stats", name="stats")
async def stats(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/stats`` (host, staff): ``event_stats`` as JSON.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("host", "staff"))
    return web.json_response(await event_stats(request.app, event_id))


async def event_stats(app: web.Application, event_id: str) -> dict[str, Any]:
    """The event's live figures: ``viewers_online`` (every node), ``cards_pushed``,
    ``applications``, ``applicants``, ``hires``, ``state``, ``current_card`` (or None),
    ``current_card_applications``, ``onsite`` (``venues.onsite_figures``) and per job
    ``jobs: [{job_id, employer, title, openings, openings_max, city, applications, hires,
    remaining}]`` (``remaining``: positions remaining, ``domain.openings.Remaining.to_wire``);
    and the figures by dimension (issue 16: ``unique_viewers``, ``by_city``, ``by_channel``,
    ``by_channel_city``, ``by_venue``, ``by_source``: ``AttributionStore.figures``).
    Raises ``NotFound``, ``StoreUnavailable``."""
    events, hub = app[EVENTS], app[HUB]
    view = await events.event_view(event_id)
    counters = await app[APPLICATIONS].counters(event_id)
    jobs = await events.jobs(event_id)
    others = await events.viewers_online(event_id, exclude=hub.node_id)
    current_job = view.card.job.id if view.card else None
    figures = await app[ATTRIBUTION].figures(event_id)
    return {
        **figures.to_wire(),
        "viewers_online": others + hub.local_viewers(event_id),
        "cards_pushed": counters.get(keys.Counter.CARDS_PUSHED, 0),
        "applications": counters.get(keys.Counter.APPLICATIONS, 0),
        "applicants": counters.get(keys.Counter.APPLICANTS, 0),
        "hires": counters.get(keys.Counter.HIRES, 0),
        "state": str(view.state),
        "onsite": await venues.onsite_figures(app, event_id),  # check-ins by venue (issue 16)
        "current_card": view.card.to_wire() if view.card else None,
        "current_card_applications": counters.get(keys.job_applications(current_job), 0)
        if current_job
        else 0,
        "jobs": [
            {
                "job_id": job.id,
                "employer": job.employer,
                "title": job.title,
                "openings": job.openings,
                "openings_max": job.openings_max,
                "city": job.city,
                "applications": counters.get(keys.job_applications(job.id), 0),
                "hires": counters.get(keys.job_hires(job.id), 0),
                "remaining": remaining(
                    job.openings, job.openings_max, counters.get(keys.job_hires(job.id), 0)
                ).to_wire(),
            }
            for job in jobs
        ],
    }
