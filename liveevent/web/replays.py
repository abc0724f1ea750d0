"""Replay with its cards (issue 17, part 3): the recording of an ended event, and applying
from it.

- ``PUT /api/events/{id}/replay`` (staff): ``{"url", "lead_in_s"?, "offset_s"?}`` sets the
  recording (``domain.replays.Replay``); ``DELETE`` removes it.
- ``GET /api/events/{id}/replay`` (public): the recording and every card's cue, what the
  viewer page plays once the event has ended.
- A replay application (``source: "replay"``) may name the card showing in the recording
  (``card_id``); ``enqueue_replay_apply`` checks it before the application is queued.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web

from liveevent.domain.events import EventState
from liveevent.domain.replays import Replay, card_ids
from liveevent.errors import Conflict, InvalidInput
from liveevent.store.applications import Applied, PendingApply
from liveevent.store.replays import ReplayStore
from liveevent.web.appkeys import APPLICATIONS, EVENTS, INGEST, REPLAYS, SETTINGS, STORE
from liveevent.web.auth import require_caller
from liveevent.web.middleware import read_json

routes = web.RouteTableDef()


async def replays_ctx(app: web.Application) -> AsyncIterator[None]:
    """Holds the ``ReplayStore`` while the app runs (after the store's context). Yields once."""
    app[REPLAYS] = ReplayStore(app[STORE], app[EVENTS])
    yield


@routes.put("/api/events/{event_id}/replay", name="set_replay")
async def set_replay(request: web.Request) -> web.Response:
    """``PUT /api/events/{id}/replay`` (staff, admin): ``{"url", "lead_in_s"?, "offset_s"?}``.

    ``url`` an http(s) address of an ``.mp4``, ``.m4v``, ``.webm`` or ``.m3u8`` recording (at
    most 2,000 characters); ``lead_in_s`` seconds a card appears before its moment (0-120,
    default 3); ``offset_s`` where in the recording the event went live (seconds, default 0).
    Setting it again replaces it (naturally idempotent). Answers 200 ``{"replay":
    Replay.to_wire(), "cues": n}`` and writes an audit entry naming who set it.

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``Conflict``
    (409, the event has not ended), ``InvalidInput`` (422 naming each bad field),
    ``MalformedBody`` (400), ``BodyTooLarge`` (413), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    grant = await require_caller(request, event_id, ("staff",))
    body = await read_json(request, request.app[SETTINGS].max_body_bytes)
    now = int(time.time() * 1000)  # not api.now_ms: api imports this module
    replay = Replay.parse(body, now=now, by=grant.name)
    replays = request.app[REPLAYS]
    await replays.set_replay(event_id, replay)
    cues = await replays.cues(event_id)
    entry = {"what": "replay", "by": grant.name, "role": str(grant.role), "at": now}
    await request.app[APPLICATIONS].audit(event_id, entry)
    return web.json_response({"replay": replay.to_wire(), "cues": len(cues)})


@routes.delete("/api/events/{event_id}/replay", name="clear_replay")
async def clear_replay(request: web.Request) -> web.Response:
    """``DELETE /api/events/{id}/replay`` (staff, admin): 204, viewers no longer get a replay
    (naturally idempotent: 204 when none was set too).

    Raises ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404),
    ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await require_caller(request, event_id, ("staff",))
    await request.app[REPLAYS].clear_replay(event_id)
    return web.Response(status=204)


@routes.get("/api/events/{event_id}/replay", name="get_replay")
async def get_replay(request: web.Request) -> web.Response:
    """``GET /api/events/{id}/replay`` (public): ``{"replay": Replay.to_wire(), "cues":
    [Cue.to_wire(), ...]}``, the cues in push order, each with its window in the recording
    (``from_s``, ``to_s``: null to the end); ``{"replay": null, "cues": []}`` while none is set.

    Raises ``NotFound`` (404, unknown event), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    replays = request.app[REPLAYS]
    state, replay = await replays.replay(event_id)
    if replay is None or state is not EventState.ENDED:
        # Not an error for the page that asks (every viewer of an ended event does).
        return web.json_response({"replay": None, "cues": []})
    cues = await replays.cues(event_id)
    return web.json_response(
        {"replay": replay.to_wire(), "cues": [cue.to_wire(replay) for cue in cues]}
    )


async def enqueue_replay_apply(app: web.Application, item: PendingApply) -> Applied:
    """Store a replay application (``source: "replay"``) once its event and card check out.

    The event must have ended with a recording set; ``card_id``, when given, must be a card
    pushed in this event. Exactly once as any application is (its ``idempotency_key`` and
    the job-and-phone rule, ``scripts.APPLY``): this check writes nothing. Returns what the
    store answered. Raises ``NotFound`` (unknown event), ``Conflict`` (409: not ended, or no
    recording set), ``InvalidInput`` (422 naming ``card_id``), then what
    ``ApplicationIngest.enqueue``'s future raises.
    """
    event_id, card_id = item.event_id, item.request.card_id
    replays = app[REPLAYS]
    state, replay = await replays.replay(event_id)
    if state is not EventState.ENDED or replay is None:
        why = "replay applications are taken once the event has ended and its recording is set"
        raise Conflict(why, fields={"source": why})
    if card_id is not None and card_id not in card_ids(await replays.cues(event_id)):
        why = "is not a card pushed in this event"
        raise InvalidInput(f"card_id {why}", fields={"card_id": why})
    return await app[INGEST].enqueue(item)
