"""How much a websocket may send us: a per-socket message budget, a reading loop that keeps
one socket's burst from holding the event loop, and a wait for addresses that flooded.

Theory of operation: every socket (viewer, host, staff) gets a ``MessageBudget``, a token
bucket (the committed rate and burst size of RFC 2697's meter): it holds at most ``burst``
tokens, refills at ``rate_per_s`` tokens a second, and each frame the client sends (text,
binary, ping or pong) takes one. ``read`` is the one loop that both sockets read through: it
charges the budget and, because aiohttp hands over frames already buffered without ever
suspending, it yields to the event loop every ``YIELD_EVERY`` frames, so a socket with a
megabyte of tiny frames queued cannot keep every other viewer (and ``/healthz``) waiting while
it is drained. A socket that finds the bucket empty is sent 1008 (policy violation) and closed
at once (``close_over_budget``); its address is noted in ``FloodCooldown``, and that address's
next sockets wait before their upgrade. Websocket connections also get a small kernel receive
buffer (``small_receive_buffer``), so that what aiohttp parses in one go stays small.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiohttp import WSCloseCode, WSMessage, WSMsgType, web

from liveevent.config import Settings
from liveevent.web.frames import frame

# Frames read back to back before the reader lets the other tasks run. Small, because each
# frame may cost a decode and a reply; a normal socket never reaches it.
YIELD_EVERY = 8
# How long a flooder's connection may take to take in its close frame before it is cut.
CLOSE_GRACE_S = 1.0
OVER_BUDGET = b"too many messages"
CLOSE_OPCODE = 0x8


class MessageBudget:
    """A token bucket: ``take(now)`` is True while the socket is within its budget.

    ``rate_per_s`` is tokens (messages) per second, ``burst`` the bucket's size in messages;
    ``now`` is any monotonic clock in seconds (the event loop's time). A rate of 0 or less
    turns the budget off: every ``take`` is True. ``over`` is set by its reader when the
    socket was closed for it. The single-rate token bucket of RFC 2697 (CIR and CBS only).
    Starts full; constructing it raises nothing.
    """

    __slots__ = ("_at", "_tokens", "burst", "over", "rate_per_s")

    def __init__(self, *, rate_per_s: float, burst: int, now: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(max(burst, 1))
        self._tokens = self.burst
        self._at = now
        self.over = False  # set by ``read`` when it closed the socket for this budget

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens (one message; or bytes, for ``ByteMeter``); False if short.

        Refills for the seconds since the last call first. A refused take leaves the tokens
        as they were. Raises nothing.
        """
        if self.rate_per_s <= 0:
            return True
        elapsed = now - self._at
        self._at = now
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
        if self._tokens < cost:
            return False
        self._tokens -= cost
        return True


# The kernel's receive buffer for a websocket (it doubles what it is given). aiohttp parses every
# frame of a read before the first reaches the budget: with the default buffer a read is up to
# 256 KiB, ~10,000 tiny frames, 5 ms of parsing for each flooder's connection; with this one,
# 32-52 KiB. Viewers send little (a ping, an apply), so a small buffer costs them nothing.
# Not smaller: at 8 KiB and below, on loopback, a 400 KB message crawled (20 s, not 0.5 s).
RECEIVE_BUFFER_BYTES = 16 * 1024


class FloodCooldown:
    """Addresses one of whose sockets was recently closed for flooding, and how long their
    next sockets wait before the upgrade: ``cooldown_s`` seconds (0: never).

    Cutting a flooder costs it one connection; without a wait it is back 50 ms later, and each
    new connection costs the server a handshake, a ``hello`` and the parsing of its first read.
    The wait is a sleep before the 101, which costs the server nothing; it is never a refusal,
    because hundreds of real viewers may share the flooder's address (carrier NAT).
    At most ``MAX_ADDRESSES`` are remembered; its methods raise nothing.
    """

    # Forget addresses once this many are remembered (their cooldowns are long over).
    MAX_ADDRESSES = 10_000

    def __init__(self, cooldown_s: float) -> None:
        self.cooldown_s = cooldown_s
        self._closed_at: dict[str, float] = {}

    def record(self, ip: str, now: float) -> None:
        """A socket from ``ip`` was closed for flooding at ``now`` (loop time, seconds).

        Returns None; raises nothing. Nothing is kept when ``cooldown_s`` is 0.
        """
        if self.cooldown_s <= 0:
            return
        if len(self._closed_at) >= self.MAX_ADDRESSES:
            cutoff = now - self.cooldown_s
            self._closed_at = {a: t for a, t in self._closed_at.items() if t > cutoff}
        self._closed_at[ip] = now

    def wait_s(self, ip: str, now: float) -> float:
        """Seconds a new socket from ``ip`` waits before its upgrade (0.0: none).

        The whole ``cooldown_s`` while it lasts, not what is left of it; an expired entry is
        forgotten here. ``now`` is loop time in seconds. Raises nothing.
        """
        closed_at = self._closed_at.get(ip)
        if closed_at is None:
            return 0.0
        if now - closed_at >= self.cooldown_s:
            del self._closed_at[ip]
            return 0.0
        return self.cooldown_s


async def cool_down(floods: FloodCooldown, ip: str) -> None:
    """Wait as ``floods`` says before a socket from ``ip`` is upgraded.

    Returns None after ``floods.wait_s`` seconds (at once for most addresses). Raises only
    ``CancelledError`` (the client went away meanwhile).
    """
    wait_s = floods.wait_s(ip, asyncio.get_running_loop().time())
    if wait_s > 0:
        await asyncio.sleep(wait_s)


# What a socket may send, by the byte: its message rate times this. An apply is 150-300 bytes,
# a ping 20; the burst is room for the largest message twice over.
BYTES_PER_MESSAGE = 4096


class ByteMeter(asyncio.Protocol):
    """The connection's own protocol, with each read charged by the byte to a budget first.

    The message budget counts the messages aiohttp delivers, and a message that never ends is
    never delivered: a text frame that is not final, followed by empty continuation frames for
    ever, adds no byte to the message (``max_message_bytes`` never cuts it) and costs aiohttp a
    parse per frame (ten such sockets held 68 % of a core). Over its byte budget, a socket is
    closed like one over its message budget (``close_over_budget``) and ``allowance.over`` is
    set, so its address cools down.

    The ``asyncio.Protocol`` callbacks are passed to the inner (aiohttp) protocol unchanged,
    except that ``data_received`` drops data once over budget. They raise what the inner
    protocol raises.
    """

    def __init__(
        self,
        inner: asyncio.BaseProtocol,
        transport: Any,
        allowance: MessageBudget,
        bytes_: MessageBudget,
    ) -> None:
        self._inner = cast(asyncio.Protocol, inner)
        self._transport = transport
        self._allowance = allowance
        self._bytes = bytes_
        self._loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        """Charge ``len(data)`` bytes, then hand ``data`` on; over budget, close instead.

        Raises what the inner protocol's ``data_received`` raises.
        """
        if self._allowance.over:
            return
        if not self._bytes.take(self._loop.time(), len(data)):
            self._allowance.over = True
            close_over_budget(self._transport)
            return
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """As the inner protocol's (``asyncio.Protocol.eof_received``);
        raises what it raises."""
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        """As the inner protocol's (``asyncio.BaseProtocol.connection_lost``);
        raises what it raises."""
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        """As the inner protocol's (``asyncio.BaseProtocol.pause_writing``);
        raises what it raises."""
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        """As the inner protocol's (``asyncio.BaseProtocol.resume_writing``);
        raises what it raises."""
        self._inner.resume_writing()


def meter_bytes(transport: Any, allowance: MessageBudget, settings: Settings) -> None:
    """Charge what ``transport`` (an upgraded websocket's) reads from now on to a byte budget
    of ``socket_messages_per_s`` x ``BYTES_PER_MESSAGE`` a second, with a burst of twice
    ``max_message_bytes`` (``ByteMeter``). Nothing when the message budget is off.

    Also nothing for a missing or closing transport. Returns None; raises nothing."""
    if transport is None or transport.is_closing() or allowance.rate_per_s <= 0:
        return
    bytes_ = MessageBudget(
        rate_per_s=allowance.rate_per_s * BYTES_PER_MESSAGE,
        burst=2 * settings.max_message_bytes,
        now=asyncio.get_running_loop().time(),
    )
    transport.set_protocol(ByteMeter(transport.get_protocol(), transport, allowance, bytes_))


def small_receive_buffer(transport: Any) -> None:
    """Shrink the kernel receive buffer of ``transport``'s socket to ``RECEIVE_BUFFER_BYTES``
    (before the upgrade, so even frames a client sends ahead of the 101 are read in small
    bites). A transport without a socket (a test's, a TLS one's) is left as it is.

    Returns None and raises nothing: an ``OSError`` of ``setsockopt`` is ignored (the
    default buffer stays)."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)


def budget_for(settings: Settings, now: float) -> MessageBudget:
    """The budget the settings give every socket (``socket_messages_per_s``,
    ``socket_message_burst``), full at ``now`` (loop time, seconds). Raises nothing."""
    return MessageBudget(
        rate_per_s=settings.socket_messages_per_s, burst=settings.socket_message_burst, now=now
    )


async def read(
    ws: web.WebSocketResponse, budget: MessageBudget, transport: Any
) -> AsyncGenerator[WSMessage, None]:
    """The client's frames (TEXT, BINARY, PING, PONG), each charged to ``budget``;
    ``transport`` is the request's (``request.transport``), closed when over budget.

    Ends when the connection closes or fails (an ordinary disconnect is not an error: nothing
    is raised or logged), or, over budget, after closing the socket with 1008 and setting
    ``budget.over``. Raises what ``ws.receive`` raises beyond that (``CancelledError``).
    """
    loop = asyncio.get_running_loop()
    in_a_row = 0
    while True:
        msg = await ws.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return
        if not budget.take(loop.time()):
            budget.over = True
            close_over_budget(transport)
            return
        yield msg
        in_a_row += 1
        if in_a_row >= YIELD_EVERY:
            in_a_row = 0
            await asyncio.sleep(0)


def close_over_budget(transport: Any) -> None:
    """Send a close frame with 1008 and close the connection, without waiting for the
    client's closing handshake: RFC 6455 7.1.7, failing the connection.

    Not ``ws.close()``: that waits for the client's answer, reading (and parsing) every frame
    the flooder sends meanwhile, and ten flooders doing that held a push back by a second.
    Closing the transport stops reading at once; what it still holds unsent is flushed, and a
    client that does not take it within ``CLOSE_GRACE_S`` is cut. Nothing for a missing or
    closing transport. Returns None; raises nothing.
    """
    if transport is None or transport.is_closing():
        return
    transport.write(
        frame(struct.pack("!H", WSCloseCode.POLICY_VIOLATION) + OVER_BUDGET, CLOSE_OPCODE)
    )
    transport.close()
    asyncio.get_running_loop().call_later(CLOSE_GRACE_S, _cut_if_stuck, transport)


def _cut_if_stuck(transport: Any) -> None:
    if transport.get_write_buffer_size() > 0:
        transport.abort()
