"""The viewer websocket: ``GET /ws/events/{event_id}[?since=<cursor>][&role=<role>]``.

Messages are JSON text frames, or msgpack binary frames for a client that asks for the
subprotocol ``liveevent.msgpack``. The first message is always ``hello``; then the missed
timeline messages (when resuming), then live ones. See docs/api.md for the protocol.

``role`` is ``viewer`` (the default: a person, counted), or ``overlay`` (the OBS overlay) or
``monitor`` (``liveevent watch``, a wall screen): these get every message but are not counted
as viewers nor in the event's peak, and may not apply. Claiming one needs no token, because
it can only take the claimant out of the count: the caps (``max_viewers``,
``max_sockets_per_ip``) and the message budget hold for every role alike.

Every socket has a message budget (``socket_messages_per_s``, ``socket_message_burst``;
``budget.py``); past it, the socket is closed with 1008. Replies are bounded like broadcasts:
a socket whose unsent bytes pass ``write_buffer_limit_bytes`` is cut.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from liveevent.errors import (
    ClientError,
    Forbidden,
    InvalidInput,
    LiveEventError,
    MalformedBody,
    NotFound,
    StoreUnavailable,
)
from liveevent.web import api, attribution, budget, questions, wire
from liveevent.web.appkeys import EVENTS, FLOODS, HUB, LIMITS, QUESTIONS, SETTINGS, WEBSOCKETS
from liveevent.web.frames import Outgoing, decode, parse_cursor
from liveevent.web.hub import Viewer
from liveevent.web.origin import check_origin
from liveevent.web.waitlist import ApplyAnswer

log = logging.getLogger(__name__)

MSGPACK = "liveevent.msgpack"
CLOSE_TRY_AGAIN_LATER = 1013
MAX_APPLIES_IN_FLIGHT = 16
# The roles a viewer socket may claim; True: counted as a viewer (see the module docstring).
ROLES = {"viewer": True, "overlay": False, "monitor": False}
CLOSE_TIMEOUT_S = 2.0


async def viewer_socket(request: web.Request) -> web.StreamResponse:
    """``GET /ws/events/{event_id}``: the viewer websocket of the module docstring (RFC 6455;
    the subprotocol is chosen by ``Sec-WebSocket-Protocol``, section 1.9).

    Returns the closed ``WebSocketResponse``. Raises before the upgrade only: ``Forbidden``
    (403, a foreign ``Origin``), ``InvalidInput`` (422, ``role``), ``NotFound`` (404),
    ``StoreUnavailable`` (503). After it, refusals are close codes: 1001 (draining), 1013
    (``max_viewers``), 1008 (``max_sockets_per_ip``, message budget), 1009 (a frame over
    ``max_message_bytes``); a closed connection is an ordinary end.
    """
    settings = request.app[SETTINGS]
    check_origin(request)
    event_id = request.match_info["event_id"]
    role = request.query.get("role", "viewer")
    if role not in ROLES:
        raise InvalidInput(
            "role must be viewer, overlay or monitor", fields={"role": "unknown role"}
        )
    await request.app[EVENTS].event_view(event_id)  # 404 before the upgrade
    hub, limits = request.app[HUB], request.app[LIMITS]
    ip = api.client_ip(request)
    ws = web.WebSocketResponse(
        protocols=(MSGPACK,),
        # No per-connection heartbeat timer: the hub pings every viewer in one sweep and
        # cuts the silent ones (Hub._heartbeat); pongs are seen here (autoping off).
        autoping=False,
        max_msg_size=settings.max_message_bytes,
        compress=False,
        # How long a close waits for the phone's reply: on shutdown, not 10 s per straggler.
        timeout=CLOSE_TIMEOUT_S,
    )
    await budget.cool_down(request.app[FLOODS], ip)
    budget.small_receive_buffer(request.transport)
    try:
        await ws.prepare(request)
    except ConnectionError:
        return ws  # gone before the upgrade (while the event was looked up): nothing to do
    if hub.draining:  # an upgrade that began just before shutdown: go to another node
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")
        return ws
    request.app[WEBSOCKETS].add(ws)
    if hub.socket_count >= settings.max_viewers:  # every role takes a place
        await ws.close(code=CLOSE_TRY_AGAIN_LATER, message=b"server full; try again")
        return ws
    if not limits.open_socket(ip):
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many connections")
        return ws
    viewer = Viewer(
        wire.sink_for(ws, request),
        binary=ws.ws_protocol == MSGPACK,
        ip=ip,
        now=asyncio.get_running_loop().time(),
        counted=ROLES[role],
    )
    try:
        await hub.join(event_id, viewer)
        await _greet(request, event_id, viewer, request.query.get("since"))
        await hub.catch_up(event_id, viewer)
        await _receive(request, ws, event_id, viewer)
    except ConnectionError:
        pass  # gone while we answered a ping: an ordinary end, not an error
    finally:
        hub.leave(event_id, viewer)
        limits.close_socket(ip)
    return ws


async def _greet(request: web.Request, event_id: str, viewer: Viewer, since: str | None) -> None:
    """Send hello, then whatever a resuming viewer missed."""
    events = request.app[EVENTS]
    # The view and the questions shown under its card, read together (scripts.GREET).
    view, shown = await request.app[QUESTIONS].greeting(event_id)
    resumed = False
    since_cursor = parse_cursor(since) if since else None
    if since_cursor is not None and since is not None:
        resumed = await _known_cursor(request, event_id, since, view.cursor)
    hello: dict[str, Any] = {
        "type": "hello",
        "event": view.to_wire(),
        "card": view.card.to_wire() if view.card else None,
        "cursor": since if resumed else view.cursor,
        # The card's job's confirmed hires, read after the cursor (so at least as new):
        # positions remaining (issue 16); later changes come as "openings" messages.
        "hires": await events.job_hires(event_id, [view.card.job.id]) if view.card else {},
    }
    if not resumed:  # a resumed viewer has them, and gets what changed in the replay
        hello["questions"] = shown
    if since is not None:
        hello["resumed"] = resumed
        hello["resync"] = not resumed
    limit = request.app[SETTINGS].write_buffer_limit_bytes * 16  # catching up may be bulky
    viewer.send(Outgoing(hello), limit)
    if resumed and since is not None and since_cursor is not None:
        viewer.cursor = since_cursor
        await request.app[HUB].replay(event_id, viewer, since, limit)  # skips corrupt entries
    else:
        viewer.cursor = parse_cursor(view.cursor) or (0, 0)


async def _known_cursor(request: web.Request, event_id: str, since: str, current: str) -> bool:
    """True if ``since`` is an entry of this timeline (or its start), so a replay is exact."""
    since_c, current_c = parse_cursor(since), parse_cursor(current)
    if since_c is None or current_c is None or since_c > current_c:
        return False  # from the future: the store lost history
    if since_c == (0, 0):
        return True
    return await request.app[EVENTS].has_timeline_entry(event_id, since)


async def _receive(
    request: web.Request, ws: web.WebSocketResponse, event_id: str, viewer: Viewer
) -> None:
    loop = asyncio.get_running_loop()
    allowance = budget.budget_for(request.app[SETTINGS], loop.time())
    budget.meter_bytes(request.transport, allowance, request.app[SETTINGS])
    try:
        await _read_messages(request, ws, event_id, viewer, allowance)
    finally:
        if allowance.over:
            request.app[FLOODS].record(viewer.ip, loop.time())


async def _read_messages(
    request: web.Request,
    ws: web.WebSocketResponse,
    event_id: str,
    viewer: Viewer,
    allowance: budget.MessageBudget,
) -> None:
    loop = asyncio.get_running_loop()
    # Applies of this socket not yet answered (made on its first apply: most viewers never
    # apply). A client may send the next apply before the answer to the last one (answers
    # carry its ``ref``); past MAX_APPLIES_IN_FLIGHT, reading waits for the oldest.
    in_flight: collections.deque[asyncio.Future[Any]] | None = None
    async for msg in budget.read(ws, allowance, request.transport):
        viewer.last_seen = loop.time()
        if msg.type == WSMsgType.PING:
            await ws.pong(msg.data)
        elif msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
            future = _handle(request, ws, event_id, viewer, msg.data, msg.type)
            if future is None:
                continue
            if in_flight is None:
                in_flight = collections.deque()
            in_flight.append(future)
            while in_flight and in_flight[0].done():
                in_flight.popleft()
            if len(in_flight) >= MAX_APPLIES_IN_FLIGHT:
                await asyncio.wait([in_flight[0]])


def _handle(
    request: web.Request,
    ws: web.WebSocketResponse,
    event_id: str,
    viewer: Viewer,
    data: str | bytes,
    msg_type: WSMsgType,
) -> asyncio.Future[Any] | None:
    """Answer one message, or, for an apply or a question, queue it and return its future
    (answered when it is on disk, by ``_answer_apply`` or ``_answer_ask``)."""
    ref: Any = None
    try:
        message = decode(data, binary=msg_type == WSMsgType.BINARY)
        ref = message.get("ref")
        if not _echoable(ref):
            ref = None
            raise MalformedBody("ref must be a string or a number", fields={"ref": "invalid"})
        kind = message.get("type")
        if kind == "apply":
            if not viewer.counted:
                raise Forbidden(
                    "an overlay or monitor connection cannot apply", fields={"role": "not allowed"}
                )
            if viewer.applies is None:
                viewer.applies = []
            request.app[LIMITS].check_apply_viewer(viewer.applies)
            body = dict(message)
            del body["type"]
            body.pop("ref", None)
            future = api.enqueue_apply(request, event_id, body, via="ws", ip=viewer.ip)
            future.add_done_callback(functools.partial(_answer_apply, request, ws, viewer, ref))
            return future
        if kind == "ask":  # a question about the card on screen (web/questions.py)
            if not viewer.counted:
                raise Forbidden(
                    "an overlay or monitor connection cannot ask", fields={"role": "not allowed"}
                )
            body = dict(message)
            del body["type"]
            body.pop("ref", None)
            asked = questions.start_ask(request, event_id, body, ip=viewer.ip)
            asked.add_done_callback(functools.partial(_answer_ask, request, ws, viewer, ref))
            return asked
        if kind == "ping":
            _reply(request, ws, viewer, {"type": "pong", "ref": ref})
            return None
        if kind == "hello":  # viewer id, city, channel: unique viewers (web/attribution.py)
            if viewer.counted:
                reply = functools.partial(_reply, request, ws, viewer)
                attribution.greet(request.app, event_id, message, reply)
            return None
        raise NotFound("unknown message type", fields={"type": "unknown message type"})
    except LiveEventError as exc:
        _reply(request, ws, viewer, _error(ref, exc))
    return None


def _echoable(ref: Any) -> bool:
    """Whether ``ref`` (sent back with the answer as it came) is None, a string or an integer
    that both encodings can write: JSON text has no lone surrogate (the standard parser lets
    one in) and orjson, like msgpack, writes no integer outside 64 bits. Anything else used to
    fail while the answer was written, after an apply had been stored."""
    if ref is None:
        return True
    if isinstance(ref, bool):
        return False
    if isinstance(ref, int):
        return -(2**63) <= ref < 2**64
    if isinstance(ref, str):
        try:
            ref.encode()
        except UnicodeEncodeError:
            return False
        return True
    return False


def _answer_apply(
    request: web.Request,
    ws: web.WebSocketResponse,
    viewer: Viewer,
    ref: Any,
    future: asyncio.Future[ApplyAnswer],
) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is None:
        applied = future.result()
        reply: dict[str, Any] = {
            "type": "applied",
            "ref": ref,
            "application_id": applied.application_id,
            "duplicate": applied.duplicate,
            "waitlist": applied.waitlist,  # on a filled job's waiting list (web.waitlist)
        }
    elif isinstance(exc, LiveEventError):
        reply = _error(ref, exc)
    else:
        log.error("an apply failed unexpectedly: %s", type(exc).__name__)
        reply = _error(ref, StoreUnavailable("the application could not be stored; try again"))
    _reply(request, ws, viewer, reply)


def _answer_ask(
    request: web.Request,
    ws: web.WebSocketResponse,
    viewer: Viewer,
    ref: Any,
    future: asyncio.Future[str],
) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is None:
        reply: dict[str, Any] = {"type": "asked", "ref": ref, "question_id": future.result()}
    elif isinstance(exc, LiveEventError):
        reply = _error(ref, exc)
    else:
        log.error("a question failed unexpectedly: %s", type(exc).__name__)
        reply = _error(ref, StoreUnavailable("the question could not be stored; try again"))
    _reply(request, ws, viewer, reply)


def _error(ref: Any, exc: LiveEventError) -> dict[str, Any]:
    reply = {"type": "error", "ref": ref, "code": exc.code, "message": exc.message}
    if exc.fields:
        reply["fields"] = exc.fields
    if not isinstance(exc, ClientError):
        reply["retry"] = True
    return reply


def _reply(
    request: web.Request, ws: web.WebSocketResponse, viewer: Viewer, reply: dict[str, Any]
) -> None:
    if ws.closed:
        return
    # Bounded like a broadcast: a client that sends but never reads is cut once its unsent
    # replies pass the limit, instead of growing the server (16 MiB each, once).
    viewer.send(Outgoing(reply), request.app[SETTINGS].write_buffer_limit_bytes)
