"""Employers at the table (issue 16 part 2): their access, their page's calls, their progress.

Staff (``POST /api/events/{id}/employers``) give an employer a token of role ``employer``
scoped to its name as on its jobs (``domain.employers``). With it, the employer page
(``/employer/{id}#token=...``) reads only that employer's jobs and applicants
(``GET .../employer``, ``GET .../employer/applications``) and records intents and outcomes
(``PATCH .../employer/applications/{application_id}``); every other call of the API answers
403 to it (``require_caller`` with other roles). Phones and names show in full only under
the applicant's consent to this employer (``domain.consent.covers``), masked otherwise.
Staff read every employer's progress (``GET .../employers``); the apply form reads each
employer's contact for its consent text (``GET .../recipients``, public).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.domain.access import Grant, Role
from liveevent.domain.applications import Application, Status, mask_phone
from liveevent.domain.consent import CURRENT_VERSION, covers
from liveevent.domain.employers import (
    EmployerAccess,
    employer_key,
    mask_name,
    match_employer,
    own_jobs,
    parse_employer_status,
    progress,
)
from liveevent.domain.jobs import Job
from liveevent.errors import Forbidden, InvalidInput
from liveevent.store.employers import MAX_WINDOW, EmployerBook
from liveevent.web.api import now_ms
from liveevent.web.appkeys import APPLICATIONS, EVENTS, SETTINGS, STORE
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json

routes = web.RouteTableDef()  # added to the app by the app factory (app.py)

NO_STORE = {"Cache-Control": "no-store"}
MAX_GRANTS = 1000  # named grants per event (every kind): a fair has tens of employers


def _book(request: web.Request) -> EmployerBook:
    return EmployerBook(request.app[STORE], request.app[APPLICATIONS])


def employer_link(event_id: str, token: str) -> str:
    """The employer page's link: the token in the fragment, never in a query string (it
    would reach access logs and ``Referer``s; docs/security.md). Raises nothing."""
    return f"/employer/{event_id}#token={token}"


@routes.post("/api/events/{event_id}/employers", name="create_employer")
async def create_employer(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/employers`` (staff): ``{"name", "contact"?}``; 201
    ``{"employer", "contact", "token", "link"}``, the token shown this once.

    ``name`` is matched to the employer of the event's jobs by ``employer_key`` (spaces and
    full-width forms do not matter); ``employer`` is the name as its first job writes it, and
    the token's scope. Each call makes another token (a second person at the table, a lost
    link); the last ``contact`` given is the one the apply form names. Not exactly once: a
    retry after a lost reply makes a second token nobody received (it opens nothing).
    Raises ``InvalidInput`` (422, ``name`` unknown among the jobs or ``MAX_GRANTS``
    reached, or bad fields),
    ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``MalformedBody``
    (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff",))
    access = EmployerAccess.parse(await read_json(request, request.app[SETTINGS].max_body_bytes))
    employer = match_employer(access.name, await request.app[EVENTS].jobs(event_id))
    if len(await request.app[EVENTS].grants(event_id)) >= MAX_GRANTS:
        why = f"this event already has {MAX_GRANTS} named tokens"
        raise InvalidInput(why, fields={"name": why})
    now = now_ms()
    grant = Grant(Role.EMPLOYER, employer[:50], scope=employer, created_at=now)
    token = await request.app[EVENTS].add_grant(event_id, grant)
    await _book(request).save(
        event_id, employer_key(employer), name=employer, contact=access.contact, now=now
    )
    body = {
        "employer": employer,
        "contact": access.contact,
        "token": token,
        "link": employer_link(event_id, token),
    }
    return web.json_response(body, status=201, headers=NO_STORE)


@routes.get("/api/events/{event_id}/employers", name="list_employers")
async def list_employers(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/employers`` (staff): every employer of the event's jobs, with
    or without a token, and its progress: ``{"employers": [Progress.to_wire()]}`` (no tokens).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff",))
    jobs = await request.app[EVENTS].jobs(event_id)
    book = _book(request)
    figures = await book.figures(event_id, [job.id for job in jobs])
    records = await book.records(event_id)
    tokens: dict[str, int] = {}
    for grant in await request.app[EVENTS].grants(event_id):
        if grant.role is Role.EMPLOYER and grant.scope is not None:
            key = employer_key(grant.scope)
            tokens[key] = tokens.get(key, 0) + 1
    contacts = {key: record.get("contact") for key, record in records.items()}
    rows = progress(jobs, figures, contacts=contacts, tokens=tokens)
    return web.json_response({"employers": [row.to_wire() for row in rows]}, headers=NO_STORE)


@routes.get("/api/events/{event_id}/recipients", name="consent_recipients")
async def recipients(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/recipients`` (public): what the apply form's consent names for
    each employer: ``{"version", "recipients": {employer as on its jobs: contact or null}}``.

    Public: the consent shows it to every applicant. Raises ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    jobs = await request.app[EVENTS].jobs(event_id)
    records = await _book(request).records(event_id)
    named = {
        job.employer: records.get(employer_key(job.employer), {}).get("contact") for job in jobs
    }
    # no-store like every answer with a person in it: a contact may be a recruiter's phone.
    return web.json_response({"version": CURRENT_VERSION, "recipients": named}, headers=NO_STORE)


async def _employer(request: web.Request) -> tuple[str, Grant, list[Job]]:
    """The caller's employer grant and its own jobs; 403 for any other token (admin too:
    an employer page needs an employer's scope)."""
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, ("employer",))
    if grant.role is not Role.EMPLOYER or grant.scope is None:
        raise Forbidden("the employer page needs an employer's token")
    jobs = own_jobs(grant.scope, await request.app[EVENTS].jobs(event_id))
    return event_id, grant, jobs


@routes.get("/api/events/{event_id}/employer", name="employer_overview")
async def overview(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/employer`` (employer): the employer's own page at a glance.

    ``{"employer", "contact", "title", "state", "card" (the card on screen when it is one of
    its jobs, else null), "jobs": [Job.to_wire() + "applications", "intents", "hires",
    "by_status"], "applications", "cursor"}``. ``cursor`` changes whenever an application
    arrives or a status changes on its jobs: a page polls this (a few small reads, whatever
    the event's size) and reloads its list only when the cursor moved.
    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id, grant, jobs = await _employer(request)
    assert grant.scope is not None  # _employer checked it
    view = await request.app[EVENTS].event_view(event_id)
    book = _book(request)
    figures = await book.figures(event_id, [job.id for job in jobs])
    record = (await book.records(event_id)).get(employer_key(grant.scope), {})
    own_ids = {job.id for job in jobs}
    rows = []
    for job in jobs:
        fig = figures[job.id]
        rows.append(
            {
                **job.to_wire(),
                "applications": fig.applications,
                "intents": fig.by_status.get(Status.INTENT, 0),
                "hires": fig.by_status.get(Status.HIRED, 0),
                "by_status": {str(s): n for s, n in fig.by_status.items()},
            }
        )
    total = sum(f.applications for f in figures.values())
    changed = sum(n for f in figures.values() for n in f.by_status.values())
    last = max((f.last_report_at or 0 for f in figures.values()), default=0)
    card = view.card if view.card is not None and view.card.job.id in own_ids else None
    body: dict[str, Any] = {
        "employer": grant.scope,
        "contact": record.get("contact"),
        "title": view.event.title,
        "state": str(view.state),
        "card": card.to_wire() if card else None,
        "jobs": rows,
        "applications": total,
        "cursor": f"{total}.{changed}.{last}",
    }
    return web.json_response(body, headers=NO_STORE)


def employer_row(application: Application, status: Status, job: Job, scope: str) -> dict[str, Any]:
    """An application as its employer sees it: name and phone in full only under the
    applicant's consent to this employer (``consent.covers``), masked otherwise (and
    ``consented`` says which). Raises nothing."""
    consented = covers(
        consent=application.consent,
        version=application.consent_version,
        consent_to=application.consent_to,
        employer=scope,
    )
    return {
        "application_id": application.application_id,
        "job_id": application.job_id,
        "title": job.title,
        "city": job.city,
        "name": application.name if consented else mask_name(application.name),
        "phone": application.phone if consented else mask_phone(application.phone),
        "consented": consented,
        "applied_at": values.iso(application.applied_at),
        "status": str(status),
    }


@routes.get("/api/events/{event_id}/employer/applications", name="employer_applications")
async def employer_applications(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/employer/applications`` (employer): its own applicants, newest
    first, ``?job_id=`` for one of its jobs, ``offset``/``limit`` (1-200, default 50;
    ``offset + limit`` up to 10,000): ``{"applications": [employer_row], "total", "offset"}``.

    Raises ``InvalidInput`` (422: ``offset``/``limit`` not numbers, ``job_id`` not one of
    its jobs), ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id, grant, jobs = await _employer(request)
    assert grant.scope is not None
    query = request.query
    try:
        offset = max(0, int(query.get("offset", "0")))
        limit = min(200, max(1, int(query.get("limit", "50"))))
    except ValueError:
        raise InvalidInput(
            "offset and limit must be numbers", fields={"offset": "number", "limit": "number"}
        ) from None
    if offset + limit > MAX_WINDOW:
        why = f"offset + limit must be at most {MAX_WINDOW}"
        raise InvalidInput(why, fields={"offset": why})
    by_id = {job.id: job for job in jobs}
    job_id = query.get("job_id")
    if job_id:
        if job_id not in by_id:
            raise InvalidInput("not one of your jobs", fields={"job_id": "not one of your jobs"})
        wanted = [job_id]
    else:
        wanted = list(by_id)
    total, page = await _book(request).newest(event_id, wanted, offset=offset, limit=limit)
    rows = [
        employer_row(application, status, by_id[application.job_id], grant.scope)
        for application, status in page
        if application.job_id in by_id
    ]
    return web.json_response(
        {"applications": rows, "total": total, "offset": offset}, headers=NO_STORE
    )


@routes.patch(
    "/api/events/{event_id}/employer/applications/{application_id}", name="employer_status"
)
async def employer_status(request: web.Request) -> web.Response:
    """``PATCH /api/events/{id}/employer/applications/{application_id}`` (employer):
    ``{"status"}``, one of ``domain.employers.EMPLOYER_STATUSES`` (intent, contacted,
    interviewed, offered, hired, rejected, declined, no_show); answers ``{"application_id",
    "from", "status"}``. Recorded in the status stream with ``by`` the grant's name and
    ``role`` employer; exactly once under retry (``change_status``'s once key).

    Raises ``Forbidden`` (403, an application not for one of its jobs), ``InvalidInput``
    (422), ``Conflict`` (409, already in that status), ``NotFound`` (404),
    ``Unauthenticated`` (401), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``StoreUnavailable`` (503).
    """
    event_id, grant, jobs = await _employer(request)
    body = values.only_fields(
        await read_json(request, request.app[SETTINGS].max_body_bytes),
        frozenset({"status"}),
        what="body",
    )
    target = parse_employer_status(body)
    application_id = request.match_info["application_id"]
    applications = request.app[APPLICATIONS]
    job_id = await applications.job_of(event_id, application_id)
    if job_id not in {job.id for job in jobs}:
        raise Forbidden("this application is not for one of your jobs")
    before, after = await applications.change_status(
        event_id, application_id, target, by=grant.name, now=now_ms(), role=str(Role.EMPLOYER)
    )
    return web.json_response(
        {"application_id": application_id, "from": str(before), "status": str(after)}
    )
