"""Follow-up after hire over HTTP (issue 17 part 4): staff and each employer record whether a
hire is still in the job at 7 and 30 days, and read the hires due for a check and the
retention (rules: ``domain.followups``; store: ``store.followups``).

| call | role |
|---|---|
| ``GET /api/events/{id}/followups[?due=1]`` | staff (admin) |
| ``PUT /api/events/{id}/followups/{application_id}`` ``{"checkpoint", "result"}`` | staff |
| ``GET /api/events/{id}/employer/followups[?due=1]`` | employer: its own hires |
| ``PUT /api/events/{id}/employer/followups/{application_id}`` | employer: its own hires |
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.domain.access import Grant, Role
from liveevent.domain.applications import Application, Status
from liveevent.domain.employers import employer_key, own_jobs
from liveevent.domain.followups import (
    Checkpoint,
    Hire,
    Mark,
    Retention,
    check_mark,
    parse_mark,
    require_hired,
    tally,
)
from liveevent.domain.jobs import Job
from liveevent.errors import Forbidden
from liveevent.office.retention import employers_of
from liveevent.store.employers import EmployerBook
from liveevent.store.followups import FollowUpBook
from liveevent.web.api import now_ms
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SETTINGS, STORE
from liveevent.web.auth import require_caller
from liveevent.web.employers import employer_row
from liveevent.web.middleware import read_json

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)

NO_STORE = {"Cache-Control": "no-store"}
MAX_ROWS = 5000  # hires listed in one answer (a fair hires hundreds)


def _book(request: web.Request) -> FollowUpBook:
    return FollowUpBook(request.app[STORE])


async def _listing(
    request: web.Request, event_id: str, jobs: list[Job], scope: str | None
) -> dict[str, Any]:
    """The hires of ``jobs`` with their checks, and the retention over them. ``scope``: the
    employer's name for an employer's view (names and phones masked without its consent),
    None for staff (in full)."""
    now = now_ms()
    book = _book(request)
    by_id = {job.id: job for job in jobs}
    employer_of = employers_of(jobs)
    hires = [h for h in await book.hires(event_id, employer_of) if h.employer]
    marks = await book.marks(event_id)
    fair, per_employer = tally(hires, marks, now=now)
    only_due = request.query.get("due") in ("1", "true")
    ids = [h.application_id for h in hires]
    found = await request.app[APPLICATIONS].by_ids(event_id, ids[-MAX_ROWS:])
    apps: dict[str, tuple[Application, Status]] = {a.application_id: (a, s) for a, s in found}
    rows: list[dict[str, Any]] = []
    for hire in reversed(hires):  # newest hire first
        if hire.application_id not in apps or len(rows) >= MAX_ROWS:
            continue
        row = _row(hire, apps[hire.application_id], by_id, marks, scope, now)
        if only_due and not row["due"]:
            continue
        rows.append(row)
    return {
        "now": values.iso(now),
        "hires": rows,
        "retention": fair.to_wire(),
        "by_employer": [
            {"employer": name, **figures.to_wire()}
            for name, figures in sorted(per_employer.items())
        ],
    }


def _row(
    hire: Hire,
    found: tuple[Application, Status],
    by_id: dict[str, Job],
    marks: dict[tuple[str, Checkpoint], Mark],
    scope: str | None,
    now: int,
) -> dict[str, Any]:
    application, status = found
    job = by_id[application.job_id]
    if scope is not None:
        row = employer_row(application, status, job, scope)
    else:
        row = {
            "application_id": application.application_id,
            "job_id": job.id,
            "title": job.title,
            "name": application.name,
            "phone": application.phone,
        }
    checks: dict[str, Any] = {}
    due: list[str] = []
    for checkpoint in Checkpoint:
        at = checkpoint.due_at(hire.hired_at)
        mark = marks.get((hire.application_id, checkpoint))
        checks[str(checkpoint)] = {
            "due_at": values.iso(at),
            "mark": mark.to_wire() if mark else None,
        }
        if mark is None and now >= at:
            due.append(str(checkpoint))
    return {**row, "employer": job.employer, "hired_at": values.iso(hire.hired_at),
            "checks": checks, "due": due}  # fmt: skip


async def _record(
    request: web.Request, event_id: str, grant: Grant, jobs: list[Job]
) -> web.Response:
    """Check and record one mark on a hire of ``jobs``; answers the mark."""
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    checkpoint, result = parse_mark(body)
    application_id = request.match_info["application_id"]
    job_id = await request.app[APPLICATIONS].job_of(event_id, application_id)  # 404
    if job_id not in {job.id for job in jobs}:
        raise Forbidden("this application is not for one of your jobs")
    book = _book(request)
    hired_at = require_hired((await book.hire_dates(event_id)).get(application_id))
    now = now_ms()
    check_mark(checkpoint, result, hired_at=hired_at, now=now)
    mark = Mark(application_id, checkpoint, Retention(result), grant.name, str(grant.role), now)
    await book.record(event_id, mark)
    return web.json_response(
        {"application_id": application_id, "checkpoint": str(checkpoint), **mark.to_wire()}
    )


@routes.get("/api/events/{event_id}/followups", name="followups")
async def followups(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/followups[?due=1]`` (staff): every current hire, newest first,
    ``{"now", "hires": [{"application_id", "job_id", "title", "name", "phone", "employer",
    "hired_at", "checks": {"7d"|"30d": {"due_at", "mark": {"result", "by", "role", "at"} |
    null}}, "due": [checks due and not marked]}], "retention": {"hires", "7d", "30d"},
    "by_employer": [{"employer", "hires", "7d", "30d"}]}``; each check's figures are
    ``{"retained", "left", "unknown", "pending", "not_due", "rate"}``. ``?due=1`` lists only
    hires with a check due and not marked (the figures stay over every hire).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff",))
    jobs = await request.app[EVENTS].jobs(event_id)
    body = await _listing(request, event_id, jobs, None)
    return web.json_response(body, headers=NO_STORE)


@routes.put("/api/events/{event_id}/followups/{application_id}", name="record_followup")
async def record_followup(request: web.Request) -> web.Response:
    """``PUT /api/events/{id}/followups/{application_id}`` (staff) ``{"checkpoint": "7d"|"30d",
    "result": "retained"|"left"|"unknown"}``: records the mark (a later one corrects it);
    answers ``{"application_id", "checkpoint", "result", "by", "role", "at"}``. Exactly once
    under retry (``FollowUpBook.record``).

    Raises ``InvalidInput`` (422 naming ``checkpoint``/``result``; ``retained``/``unknown``
    before the check is due), ``Conflict`` (409, not hired), ``NotFound`` (404),
    ``Unauthenticated`` (401), ``Forbidden`` (403), ``MalformedBody`` (400),
    ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, ("staff",))
    jobs = await request.app[EVENTS].jobs(event_id)
    return await _record(request, event_id, grant, jobs)


async def _employer(request: web.Request) -> tuple[str, Grant, list[Job]]:
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, ("employer",))
    if grant.role is not Role.EMPLOYER or grant.scope is None:
        raise Forbidden("the employer page needs an employer's token")
    return event_id, grant, own_jobs(grant.scope, await request.app[EVENTS].jobs(event_id))


@routes.get("/api/events/{event_id}/employer/followups", name="employer_followups")
async def employer_followups(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/employer/followups[?due=1]`` (employer): as ``GET /followups``
    over its own hires only, names and phones masked without the applicant's consent to it
    (``employer_row``, with ``consented``). Raises as ``GET /followups``."""
    event_id, grant, jobs = await _employer(request)
    body = await _listing(request, event_id, jobs, grant.scope)
    return web.json_response(body, headers=NO_STORE)


@routes.put(
    "/api/events/{event_id}/employer/followups/{application_id}", name="employer_record_followup"
)
async def employer_record_followup(request: web.Request) -> web.Response:
    """``PUT /api/events/{id}/employer/followups/{application_id}`` (employer): as
    ``PUT /followups/{application_id}``, for its own hires only (403 for another's, nothing
    recorded); counted against ``employer_status_rate`` like its status changes (429 past it).
    Raises as ``PUT /followups/...`` and ``RateLimited`` (429)."""
    event_id, grant, jobs = await _employer(request)
    assert grant.scope is not None  # _employer checked it
    settings = request.app[SETTINGS]
    await EmployerBook(request.app[STORE], request.app[APPLICATIONS]).spend_status_allowance(
        event_id,
        employer_key(grant.scope),
        limit=settings.employer_status_rate,
        window_s=settings.rate_window_s,
    )
    return await _record(request, event_id, grant, jobs)
