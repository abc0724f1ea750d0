"""Status notices (issue 17 part 4; rules in ``domain.status_notices``): the switch over HTTP
and the sweep that turns status changes into notices in the notifier's outbox.

The sweep (``status_notices_ctx``: every ``SWEEP_S`` in every process) reads, for each event
with the switch on, the status changes after its place (``store.status_notices``), enqueues one
notice per change into a told status of an applicant who ticked the box (the key names the
change's stream entry), then moves the place past them. A process that dies between the two
steps leaves the place where it was: the next sweep enqueues the same keys again, which the
outbox ignores (``Outbox.enqueue``). So each change is told once, whichever process sweeps.

| call | role |
|---|---|
| ``GET /api/events/{id}/status-notices`` | anyone: the apply form shows its checkbox when on |
| ``PUT /api/events/{id}/status-notices`` ``{"enabled": bool}`` | staff |
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.domain.applications import Status
from liveevent.domain.notices import Notice, NoticeKind
from liveevent.domain.status_notices import (
    CONSENT_TEXT,
    TOLD_STATUSES,
    is_told,
    notice_key,
    status_payload,
    wants_notice,
)
from liveevent.errors import InvalidInput, LiveEventError
from liveevent.store.status_notices import StatusNoticeSwitch
from liveevent.web.api import now_ms
from liveevent.web.appkeys import APPLICATIONS, EVENTS, OUTBOX, SETTINGS, STORE
from liveevent.web.auth import require_caller
from liveevent.web.background import cancel_and_wait
from liveevent.web.middleware import read_json

log = logging.getLogger(__name__)
routes = web.RouteTableDef()  # added to the app by the app factory (app.py)

SWEEP_S = 1.0  # how often each process turns new status changes into notices
PAGE = 500  # status changes read per event and sweep


def _answer(on: bool) -> web.Response:
    return web.json_response(
        {"enabled": on, "statuses": sorted(TOLD_STATUSES), "consent": CONSENT_TEXT}
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


async def sweep(app: web.Application) -> int:
    """Turn the new status changes of every event with the switch on into notices (see the
    module); returns how many notices were new. Raises ``StoreUnavailable``."""
    switch = StatusNoticeSwitch(app[STORE])
    made = 0
    for event_id in await switch.events_on():
        while True:
            changes, place = await switch.changes(event_id, count=PAGE)
            if place is None or not changes:
                break
            made += await _enqueue(app, event_id, changes)
            if not await switch.advance(event_id, place, changes[-1][0]) or len(changes) < PAGE:
                break
    return made


async def _enqueue(
    app: web.Application, event_id: str, changes: list[tuple[str, dict[str, Any]]]
) -> int:
    """One notice per told change of a consenting applicant; returns how many were new."""
    told = [(sid, c) for sid, c in changes if is_told(str(c.get("to")))]
    if not told:
        return 0
    found = await app[APPLICATIONS].by_ids(event_id, [str(c["application_id"]) for _, c in told])
    applications = {a.application_id: a for a, _status in found}
    view = await app[EVENTS].event_view(event_id)
    jobs = {job.id: job for job in await app[EVENTS].jobs(event_id)}
    now = now_ms()
    batch = []
    for sid, change in told:
        application = applications.get(str(change["application_id"]))
        if application is None or not wants_notice(application) or not application.phone:
            continue
        job = jobs.get(application.job_id)
        payload = status_payload(
            application,
            Status(change["to"]),
            event_title=view.event.title,
            employer=job.employer if job else "",
            title=job.title if job else "",
            application_id=application.application_id,
        )
        batch.append(
            Notice(
                key=notice_key(event_id, sid),
                event_id=event_id,
                kind=NoticeKind.STATUS,
                recipient=application.phone,
                payload=payload,
                due_at=now,
                created_at=now,
            )
        )
    return await app[OUTBOX].enqueue(batch)


async def status_notices_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the sweep every ``SWEEP_S`` for the app's lifetime. After the sign-ups' context
    (it needs the outbox); raises nothing."""

    async def sweeping() -> None:
        while True:
            try:
                made = await sweep(app)
                if made:
                    log.info("status notices: %d queued", made)
            except LiveEventError as exc:
                log.warning("the status notices sweep failed: %s", exc)
            await asyncio.sleep(SWEEP_S)

    task = asyncio.create_task(sweeping(), name="status-notices")
    try:
        yield
    finally:
        await cancel_and_wait(task)
