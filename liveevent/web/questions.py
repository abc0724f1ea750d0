"""Questions on the card on screen (issue 17 part 2): asking, the host's queue, moderation.

``domain/questions.py`` states the rules, ``store/questions.py`` keeps them. Roles: anyone may
ask about the card on screen (over the viewer socket, ``{"type": "ask"}``, or ``POST
/questions``, JSON only); host, staff and admin list every question and approve, hide or
answer any; an ``employer`` grant lists and answers only the questions about its own jobs
(the job's employer equals the grant's scope), and may neither approve nor hide. What viewers
see reaches them as a ``question`` timeline message, like a card push.

Limits: the size limits and format-character stripping of ``domain.values`` (as for
applications), the per-address limit of applications (``apply_rate_per_ip`` per
``rate_window_s``, counted on its own key by the store across nodes), and on the socket its
message budget.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from liveevent.domain.access import Grant, Role
from liveevent.domain.questions import (
    AskRequest,
    Moderation,
    Question,
    QuestionStatus,
    check_ask,
    mask_name,
)
from liveevent.errors import Conflict, Forbidden, InvalidInput
from liveevent.web.api import new_id, now_ms
from liveevent.web.appkeys import EVENTS, QUESTIONS, SETTINGS
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json, require_json
from liveevent.web.proxies import client_ip

routes = web.RouteTableDef()

MODERATORS = (Role.HOST, Role.STAFF, Role.EMPLOYER)


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def ask(app: web.Application, event_id: str, body: Any, *, ip: str) -> str:
    """Validate and store one viewer's question about the card on screen; returns its id.

    ``ip`` is the address the per-address limit counts (``client_ip``). Exactly once under
    retry: the store's once key, kept per client ``idempotency_key`` when the body has one.
    Raises ``InvalidInput`` (422, naming each field), ``NotFound`` (event), ``Conflict``
    (``card_id`` not on screen, not live, purged, full), ``RateLimited``,
    ``StoreUnavailable``."""
    req = AskRequest.parse(body)
    view = await app[EVENTS].event_view(event_id)
    card = view.card
    check_ask(view.state, card.card_id if card is not None else None, req.card_id)
    if card is None:  # check_ask has refused it already; this tells the type checker
        raise Conflict("there is no card on screen", fields={"card_id": "not on screen"})
    question = Question(
        question_id=new_id(8),
        card_id=req.card_id,
        job_id=card.job.id,
        employer=card.job.employer,
        name=req.name,
        text=req.text,
        asked_at=now_ms(),
    )
    settings = app[SETTINGS]
    attempt = f"ask:{req.idempotency_key}" if req.idempotency_key else None
    return await app[QUESTIONS].ask(
        event_id,
        question,
        ip=ip,
        rate_limit=settings.apply_rate_per_ip,
        window_s=settings.rate_window_s,
        attempt=attempt,
    )


def start_ask(
    request: web.Request, event_id: str, body: dict[str, Any], *, ip: str
) -> asyncio.Future[str]:
    """The viewer socket's ask (``viewers.py``): ``ask`` as a task, so that the socket keeps
    reading while the store answers. Raises nothing itself; the future holds what ``ask``
    raises."""
    return asyncio.ensure_future(ask(request.app, event_id, body, ip=ip))


@routes.post("/api/events/{event_id}/questions", name="ask_question")
async def ask_question(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/questions`` (public, JSON only): ``{"card_id", "name"?,
    "text", "idempotency_key"?}``; 201 ``{"question_id", "status": "pending"}``.

    Raises ``UnsupportedMediaType`` (415), ``MalformedBody`` (400), ``BodyTooLarge`` (413),
    ``InvalidInput`` (422), ``NotFound`` (404), ``Conflict`` (409), ``RateLimited`` (429),
    ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    require_json(request)
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    question_id = await ask(request.app, event_id, body, ip=client_ip(request))
    return _json({"question_id": question_id, "status": str(QuestionStatus.PENDING)}, 201)


def _may_see(grant: Grant, question: Question) -> bool:
    return grant.role is not Role.EMPLOYER or question.employer == grant.scope


def _wire_for(grant: Grant, question: Question) -> dict[str, Any]:
    """What ``grant`` sees of ``question``: every field for host and staff (they moderate the
    name); for an employer the name masked as viewers see it (the asker agreed to no more)."""
    wire = question.staff_wire()
    if grant.role is Role.EMPLOYER:
        wire["name"] = mask_name(question.name)
    return wire


@routes.get("/api/events/{event_id}/questions", name="list_questions")
async def list_questions(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/questions[?status=&card_id=][&shown=1]`` (host, staff,
    employer): ``{"questions": [Question.staff_wire(), ...]}``, oldest first; an employer gets
    only its own jobs' questions, the asker's name masked (``mask_name``). ``status=pending``
    is the host's queue and ``card_id=&shown=1`` what is shown under that card, each read from
    its index (cost: the questions listed); any other filter reads every question of the
    event.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``InvalidInput`` (422, ``status``), ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, MODERATORS)
    raw_status = request.query.get("status")
    status: QuestionStatus | None = None
    if raw_status is not None:
        try:
            status = QuestionStatus(raw_status)
        except ValueError:
            why = "must be one of " + ", ".join(s.value for s in QuestionStatus)
            raise InvalidInput(f"status {why}", fields={"status": why}) from None
    card_id = request.query.get("card_id")
    store = request.app[QUESTIONS]
    if request.query.get("shown") == "1":
        # What is shown under one card, through its index (the host console's poll).
        if card_id is None:
            raise InvalidInput("shown=1 needs card_id", fields={"card_id": "required"})
        found = await store.shown_questions(event_id, card_id)
    else:
        found = await store.questions(event_id, pending_only=status is QuestionStatus.PENDING)
    rows = [
        _wire_for(grant, q)
        for q in found
        if _may_see(grant, q)
        and (status is None or q.status is status)
        and (card_id is None or q.card_id == card_id)
    ]
    return _json({"questions": rows})


@routes.post("/api/events/{event_id}/questions/{question_id}", name="moderate_question")
async def moderate_question(request: web.Request) -> web.Response:
    """``POST /api/events/{id}/questions/{question}`` (host, staff; employer: ``answer`` of
    its own jobs' questions only): ``{"action": "approve" | "hide" | "answer", "answer"?}``.

    200 ``{"question": Question.staff_wire(), "cursor"}`` (``cursor``: the timeline entry
    viewers get, or None when they see no change). Exactly once under retry (the store's
    once key). Raises ``Unauthenticated`` (401), ``Forbidden`` (403: another employer's
    question, or an employer approving or hiding), ``NotFound`` (404), ``InvalidInput``
    (422), ``Conflict`` (409: a move the transition table does not have, or a change
    meanwhile), ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503)."""
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, MODERATORS)
    move = Moderation.parse(await read_json(request, request.app[SETTINGS].max_body_bytes))
    store = request.app[QUESTIONS]
    question, before = await store.question(event_id, request.match_info["question_id"])
    if grant.role is Role.EMPLOYER:
        if not _may_see(grant, question):
            raise Forbidden("an employer may answer only the questions about its own jobs")
        if move.action.value != "answer":
            raise Forbidden(
                "an employer may answer questions, not approve or hide them",
                fields={"action": "not allowed"},
            )
    now = now_ms()
    after = question.moderated(move, by=str(grant.role), by_name=grant.name, now=now)
    cursor = await store.moderate(event_id, before, after, now=now)
    return _json({"question": _wire_for(grant, after), "cursor": cursor})
