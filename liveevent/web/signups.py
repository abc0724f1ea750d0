"""Sign-ups (预约), their reminders, and the funnel staff see (docs/api.md, "Sign-ups").

Routes: ``POST /api/events/{id}/signups`` (public), ``POST
/api/events/{id}/signups/{signup_id}/watched`` (public: the page's watch token),
``GET /api/events/{id}/funnel`` and ``GET /api/events/{id}/notifications`` (staff).

Reminders are notices in the outbox (``store/outbox.py``), keyed ``rem:<event>:<signup>:<when>``
(``domain.notices.reminder_key``): one per configured offset still ahead of the event's start,
made at sign-up, and one ``live`` per sign-up, made when the host takes the event live (which
also cancels the reminders not yet sent). Making them is idempotent (a key is written once), so
``signups_ctx`` also makes them again every ``SWEEP_S`` for every event that has sign-ups: a
process that died between storing a sign-up (or a go-live) and making its reminders loses none.
The sweep also moves the reminders not yet sent to the times the event's current ``starts_at``
gives, and cancels those whose time has passed (the API cannot change a start time today; an
edit made in the store, or by a later endpoint, is followed within ``SWEEP_S``).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from liveevent.config import Settings
from liveevent.domain import notices, values
from liveevent.domain.applications import Status, mask_phone
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.notices import Notice, NoticeKind
from liveevent.domain.signups import SignupRequest
from liveevent.errors import LiveEventError, NotFound
from liveevent.store.outbox import Outbox
from liveevent.store.signups import SignupLog
from liveevent.store.status_notices import StatusNoticeSwitch
from liveevent.web.api import client_ip, new_id, now_ms
from liveevent.web.appkeys import APPLICATIONS, EVENTS, HUB, NOTIFIER, OUTBOX, SETTINGS, SIGNUPS
from liveevent.web.auth import require_role
from liveevent.web.background import cancel_and_wait
from liveevent.web.middleware import read_json, require_json
from liveevent.web.notifier import notifier_running
from liveevent.web.pages import viewer_url

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SWEEP_S = 60.0  # how often every process makes any missing reminders again
SWEEP_PAGE = 500  # sign-ups whose reminders one sweep step makes and moves together


@routes.post("/api/events/{event_id}/signups", name="create_signup")
async def create_signup(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/signups`` (public, while the event is scheduled): ``{"name",
    "phone", "city"?, "consent": true, "idempotency_key"?}``.

    201 ``{"signup_id", "duplicate": false, "watch_token", "reminders": [{"when", "at"}],
    "calendar_url"}``, or 200 with ``duplicate: true`` and ``signup_id``/``watch_token``
    null for a phone already signed up (the token is the first answer's secret). Raises
    ``UnsupportedMediaType`` (415), ``MalformedBody`` (400),
    ``BodyTooLarge`` (413), ``InvalidInput`` (422, naming each bad field), ``NotFound``
    (404), ``Conflict`` (409: live, ended or purged), ``RateLimited`` (429),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    require_json(request)
    settings = request.app[SETTINGS]
    body = await read_json(request, settings.max_body_bytes)
    view = await request.app[EVENTS].event_view(event_id)
    req = SignupRequest.parse(body)
    signup_id, duplicate = await request.app[SIGNUPS].add(
        event_id, req, signup_id=new_id(16), now=now_ms(), ip=client_ip(request)
    )
    # Made again on a duplicate too (a retry after a crash between the two writes): a
    # reminder's key is written once, so this never schedules one twice.
    planned = notices.reminder_plan(
        settings.notify_reminders, starts_at=view.event.starts_at, now=now_ms()
    )
    url = _viewer_url(settings, event_id, request)
    record = req.to_record(signup_id, now_ms())
    await request.app[OUTBOX].enqueue(
        reminder_notices(settings, view.event, record, url, now=now_ms())
    )
    # A duplicate (the phone signed up before) gives neither the id nor the watch token:
    # whoever knows a phone would otherwise get the token that marks its owner as watching.
    shown = None if duplicate else signup_id
    answer = {
        "signup_id": shown,
        "duplicate": duplicate,
        "watch_token": shown,
        "reminders": [{"when": o.label, "at": values.iso(due)} for o, due in planned],
        "calendar_url": f"/api/events/{event_id}/calendar.ics",
    }
    return web.Response(
        body=orjson.dumps(answer),
        status=200 if duplicate else 201,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@routes.post("/api/events/{event_id}/signups/{signup_id}/watched", name="signup_watched")
async def signup_watched(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/signups/{signup_id}/watched`` (public; the id is the page's
    watch token): the sign-up's page is watching the live event. ``{"watched": true,
    "first"}``; idempotent. Raises ``NotFound`` (404, unknown sign-up), ``Conflict`` (409,
    the event is not live), ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    signup_id = request.match_info["signup_id"]
    if not 1 <= len(signup_id) <= 64 or not signup_id.isalnum():
        raise NotFound("no such sign-up")
    first = await request.app[SIGNUPS].mark_watched(event_id, signup_id)
    return web.json_response({"watched": True, "first": first})


@routes.get("/api/events/{event_id}/funnel", name="funnel")
async def funnel(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/funnel`` (staff): ``{"signed_up", "watched", "applied",
    "hired", "show_up_rate"}`` of the people who signed up (a phone that applied or was hired
    counts once). Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff",))
    hired: set[str] = set()
    offset = 0
    while True:
        total, page = await request.app[APPLICATIONS].page(
            event_id, offset=offset, limit=500, status=Status.HIRED
        )
        hired.update(application.phone for application, _ in page)
        offset += len(page)
        if not page or offset >= total:
            break
    result = await request.app[SIGNUPS].funnel(event_id, hired)
    return web.json_response(result.to_wire())


@routes.get("/api/events/{event_id}/notifications", name="notifications")
async def notifications(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/notifications`` (staff): the event's notices by state
    (``{"counts": {"scheduled", "queued", "sent", "dead", "cancelled"}, "dead": [{"key",
    "kind", "recipient" (masked), "attempts", "last_error", "died_at"}], "webhook":
    true|false}``), the 100 most recent dead ones. Raises ``Unauthenticated`` (401),
    ``Forbidden`` (403), ``NotFound`` (404), ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("staff",))
    outbox = request.app[OUTBOX]
    dead = await outbox.dead(event_id)
    return web.json_response(
        {
            "counts": await outbox.counts(event_id),
            "dead": [
                {
                    "key": n.key,
                    "kind": str(n.kind),
                    "recipient": mask_phone(n.recipient),
                    "attempts": n.attempts,
                    "last_error": n.last_error,
                    "died_at": values.iso(at),
                }
                for at, n in dead
            ],
            "webhook": NOTIFIER in request.app,
        }
    )


# reminders -----------------------------------------------------------------------------------
def reminder_notices(
    settings: Settings, event: LiveEvent, signup: dict[str, Any], url: str, *, now: int
) -> list[Notice]:
    """The notices of one sign-up's reminders before the start still ahead at ``now``.

    Raises nothing."""
    starts = _local_time(settings, event.starts_at)
    return [
        Notice(
            key=notices.reminder_key(event.id, signup["id"], offset.label),
            event_id=event.id,
            kind=NoticeKind.REMINDER,
            recipient=signup["phone"],
            payload=notices.reminder_payload(
                title=event.title,
                starts_at_iso=starts,
                viewer_url=url,
                name=signup["name"],
                label=offset.label,
            ),
            due_at=due,
            created_at=now,
        )
        for offset, due in notices.reminder_plan(
            settings.notify_reminders, starts_at=event.starts_at, now=now
        )
    ]


def live_notices(
    settings: Settings, event: LiveEvent, signups: list[dict[str, Any]], url: str, *, now: int
) -> list[Notice]:
    """The go-live notices of ``signups`` (none if ``live`` is not among
    ``notify_reminders``), due ``now``. Raises nothing."""
    if not any(o.at_go_live for o in settings.notify_reminders):
        return []
    return [
        Notice(
            key=notices.reminder_key(event.id, s["id"], notices.LIVE_LABEL),
            event_id=event.id,
            kind=NoticeKind.LIVE,
            recipient=s["phone"],
            payload=notices.reminder_payload(
                title=event.title,
                starts_at_iso=_local_time(settings, event.starts_at),
                viewer_url=url,
                name=s["name"],
                label=notices.LIVE_LABEL,
            ),
            due_at=now,
            created_at=now,
        )
        for s in signups
    ]


async def went_live(app: web.Application, event_id: str, request: web.Request | None) -> None:
    """The event went live: cancel its reminders not yet sent, and queue a ``live`` notice
    for every sign-up. Idempotent. Raises ``NotFound``, ``StoreUnavailable``."""
    await _went_live(app, event_id, _viewer_url(app[SETTINGS], event_id, request))


async def _went_live(app: web.Application, event_id: str, url: str) -> None:
    view = await app[EVENTS].event_view(event_id)
    await app[OUTBOX].cancel(event_id, f"rem:{event_id}:")  # the ``live`` ones are made next
    await _make_live_notices(app, view.event, url)


_GOING_LIVE: set[asyncio.Task[None]] = set()  # kept until done (the loop holds tasks weakly)


def went_live_soon(app: web.Application, event_id: str, request: web.Request) -> None:
    """``went_live`` in the background, so that the host's go-live is answered at once (50,000
    sign-ups are seconds of cancels and notices; review r4: a store timeout in them answered
    the go-live 503 though the event was live). A failure is logged; the sweep makes what is
    missing within ``SWEEP_S``. ``signups_ctx`` waits for these at shutdown. Raises
    nothing."""
    url = _viewer_url(app[SETTINGS], event_id, request)  # now: the request is gone after

    async def run() -> None:
        try:
            await _went_live(app, event_id, url)
        except LiveEventError as exc:
            log.warning("go-live notices of event %s not made (the sweep will): %s", event_id, exc)

    task = asyncio.create_task(run(), name=f"went-live-{event_id}")
    _GOING_LIVE.add(task)
    task.add_done_callback(_GOING_LIVE.discard)


async def _make_live_notices(app: web.Application, event: LiveEvent, url: str) -> int:
    settings, made, page = app[SETTINGS], 0, []
    async for record in app[SIGNUPS].records(event.id):
        page.append(record)
        if len(page) == 500:
            batch = live_notices(settings, event, page, url, now=now_ms())
            made += await app[OUTBOX].enqueue(batch)
            page = []
    return made + await app[OUTBOX].enqueue(live_notices(settings, event, page, url, now=now_ms()))


async def sweep(app: web.Application) -> int:
    """Make any missing reminders of every event with sign-ups (see the module); returns how
    many were made. Raises ``StoreUnavailable``."""
    settings, events, made = app[SETTINGS], app[EVENTS], 0
    for event_id in await events.event_ids():
        if not await app[SIGNUPS].count(event_id):
            continue
        view = await events.event_view(event_id)
        url = _viewer_url(settings, event_id, None)
        if view.state is EventState.SCHEDULED:
            # A page of sign-ups at a time: one enqueue and one reschedule per page (each a
            # script call per 200 notices), not two calls per sign-up (review r4: 50,000
            # sign-ups were 100,000 store calls a minute in every process).
            page: list[dict[str, Any]] = []
            async for record in app[SIGNUPS].records(event_id):
                page.append(record)
                if len(page) == SWEEP_PAGE:
                    made += await _sweep_page(app, view.event, page, url)
                    page = []
            made += await _sweep_page(app, view.event, page, url)
        elif view.state is EventState.LIVE:
            made += await _make_live_notices(app, view.event, url)
    return made


async def _sweep_page(
    app: web.Application, event: LiveEvent, page: list[dict[str, Any]], url: str
) -> int:
    """Make the missing reminders of a page of sign-ups of a scheduled event and move those
    not yet sent to the times its ``starts_at`` gives; returns how many were made."""
    if not page:
        return 0
    settings, now = app[SETTINGS], now_ms()
    planned = [n for r in page for n in reminder_notices(settings, event, r, url, now=now)]
    made = await app[OUTBOX].enqueue(planned)
    # Due times follow the start time, should it have changed since; a reminder whose time
    # has passed (the start moved earlier) is cancelled, not sent late.
    due: dict[str, int | None] = {
        notices.reminder_key(event.id, record["id"], o.label): None
        for record in page
        for o in settings.notify_reminders
        if not o.at_go_live
    }
    due.update({n.key: n.due_at for n in planned})
    await app[OUTBOX].reschedule(list(due.items()))
    return made


async def still_wanted(app: web.Application, notice: Notice) -> bool:
    """Whether a notice is still worth sending: a reminder only while its event is
    scheduled, a go-live notice only while it is live. Raises ``StoreUnavailable``."""
    try:
        view = await app[EVENTS].event_view(notice.event_id)
    except NotFound:
        return False
    if notice.kind is NoticeKind.REMINDER:
        return view.state is EventState.SCHEDULED
    if notice.kind is NoticeKind.LIVE:
        return view.state is EventState.LIVE
    if notice.kind is NoticeKind.STATUS:  # issue 17.4: not once staff turned them off
        return await StatusNoticeSwitch(app[EVENTS].conn).is_on(notice.event_id)
    return True


async def signups_ctx(app: web.Application) -> AsyncIterator[None]:
    """The sign-up log, the outbox and (with a webhook configured) the notifier, for the
    app's lifetime, and the sweep. After the store's context; raises ``StoreUnavailable``."""
    settings = app[SETTINGS]
    conn = app[EVENTS].conn
    app[SIGNUPS] = SignupLog(
        conn,
        signup_rate_per_ip=settings.signup_rate_per_ip,
        rate_window_s=settings.rate_window_s,
        max_per_event=settings.signup_max_per_event,
    )
    app[OUTBOX] = Outbox(conn)

    async def wanted(notice: Notice) -> bool:
        return await still_wanted(app, notice)

    async with notifier_running(
        settings, app[OUTBOX], node_id=app[HUB].node_id, still_wanted=wanted
    ) as notifier:
        if notifier is not None:
            app[NOTIFIER] = notifier
        task = asyncio.create_task(_sweeping(app))
        try:
            yield
        finally:
            if _GOING_LIVE:  # go-live notices being made: finished before the store closes
                await asyncio.wait(set(_GOING_LIVE), timeout=30)
            await cancel_and_wait(task)


async def _sweeping(app: web.Application) -> None:
    while True:
        try:
            made = await sweep(app)
            if made:
                log.info("the sweep made %d missing reminders", made)
        except LiveEventError as exc:
            log.warning("the reminder sweep failed: %s", exc)
        await asyncio.sleep(SWEEP_S)


def _viewer_url(settings: Settings, event_id: str, request: web.Request | None) -> str:
    if settings.public_url or request is None:
        base = settings.public_url or f"http://{settings.host}:{settings.port}"
        return f"{base}/e/{event_id}"
    try:
        return viewer_url(request, event_id)
    except LiveEventError:  # a Host that is not ours: the link still names the page
        return f"http://{settings.host}:{settings.port}/e/{event_id}"


def _local_time(settings: Settings, ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(settings.time_zone))
    return moment.strftime("%Y-%m-%d %H:%M")
