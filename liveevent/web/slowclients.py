"""Slow clients: connections that never finish their request head, and connections left idle.

Theory of operation. A connection is *pending* from its accept until the first complete request
head (the blank line after the headers) has arrived. A pending connection is closed when
``header_timeout_s`` has passed since its accept, however slowly it keeps sending (one header
line every 10 s does not buy time), and no address may hold more than ``max_pending_per_ip``
pending connections: the next one is reset at once. After its first request, a connection
waiting for the next one is aiohttp's keep-alive case, closed after ``idle_timeout_s``
(``keepalive_timeout``, which aiohttp counts from the last response and does not extend for
partial data). A websocket is never idle in this sense: its handler is running.

The address here is the TCP peer, not ``client_ip``: no header has been read yet. Peers in
``trusted_proxies`` are exempt from the pending cap: a proxy in front (nginx) buffers each
client's request head itself and opens an upstream connection only for a complete one, so its
own ``client_header_timeout`` is what stops slow clients there (deploy/nginx.conf).

This wraps the protocol aiohttp makes for each connection: aiohttp has an idle timeout but no
request-head deadline, and keeps no per-address count.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import cast

from aiohttp import web

from liveevent.web.proxies import Network, address_key, parse_address

HEAD_ENDS = (b"\r\n\r\n", b"\n\n")


class PendingConnections:
    """The per-address count of pending connections, and the protocol wrapper that keeps it.

    ``header_timeout_s`` in seconds; ``max_pending_per_ip`` <= 0 means no cap. ``pending``
    maps an address key (IPv6 as its /64) to its pending connections; ``refused`` and
    ``timed_out`` count for the metrics. Its methods raise nothing.
    """

    def __init__(
        self,
        *,
        header_timeout_s: float,
        max_pending_per_ip: int,
        trusted: Sequence[Network] = (),
    ) -> None:
        self.header_timeout_s = header_timeout_s
        self.max_pending_per_ip = max_pending_per_ip
        self.trusted = tuple(trusted)
        self.pending: dict[str, int] = defaultdict(int)
        self.refused = 0  # connections reset at accept: over the per-address cap
        self.timed_out = 0  # connections closed for not sending a request head in time

    def wrap(self, make: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for ``loop.create_server`` around aiohttp's ``make``.

        Each protocol it makes counts its connection here until the first request head ends
        (a blank line, RFC 9112 section 2.1) or ``header_timeout_s`` passes. Raises nothing.
        """
        return lambda: _Guarded(self, make())

    def exempt(self, address: str) -> bool:
        """Whether the peer ``address`` is a trusted proxy (no pending cap). Never raises."""
        parsed = parse_address(address)
        return parsed is not None and any(parsed in network for network in self.trusted)

    def admit(self, address: str) -> bool:
        """Count one more pending connection of ``address`` (an address key); False (and
        ``refused`` counted) if it already holds ``max_pending_per_ip``. Raises nothing."""
        if self.max_pending_per_ip > 0 and self.pending[address] >= self.max_pending_per_ip:
            self.refused += 1
            return False
        self.pending[address] += 1
        return True

    def release(self, address: str) -> None:
        """One pending connection of ``address`` is pending no more. Returns None; raises
        nothing. Call it once per ``admit`` that returned True."""
        self.pending[address] -= 1
        if self.pending[address] <= 0:
            del self.pending[address]


class _Guarded(asyncio.Protocol):
    """Passes everything to aiohttp's protocol; watches the bytes until the first head ends."""

    def __init__(self, guard: PendingConnections, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self._address: str | None = None  # set while this connection is counted as pending
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""
        self._begun = False  # whether a byte other than CR or LF has arrived
        self._started = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        guard = self._guard
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        if address is not None and not guard.exempt(address):
            address = address_key(_canonical(address))  # an IPv6 peer counts as its /64
            if not guard.admit(address):
                transport.abort()  # no reply: a flood gets as little as possible
                return
            self._address = address
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(guard.header_timeout_s, self._too_slow)
        self._started = True
        self._inner.connection_made(transport)

    def _too_slow(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._guard.timed_out += 1
            self._head_done()
            self._transport.close()

    def _head_done(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._address is not None:
            self._guard.release(self._address)
            self._address = None
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            window = self._tail + data
            if not self._begun:
                # Blank lines before the request line are skipped by the parser (RFC 9112
                # 2.2), so they end no head: "\r\n\r\n" first, then a head trickled a line
                # at a time, used to pass for a complete head and escape both the deadline
                # and the per-address cap.
                window = window.lstrip(b"\r\n")
                self._begun = bool(window)
            if any(end in window for end in HEAD_ENDS):
                self._head_done()
            else:
                self._tail = window[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._started else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_done()
        self._transport = None
        if self._started:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


def _canonical(address: str) -> str:
    parsed = parse_address(address)
    return str(parsed) if parsed is not None else address


class GuardedSite(web.BaseSite):
    """A TCP site like ``web.TCPSite`` whose connections go through ``PendingConnections``.

    ``port`` 0 binds a free port (read it back from ``port`` after ``start``).
    Constructing it binds nothing and raises nothing; ``start`` does.
    """

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        guard: PendingConnections,
        backlog: int = 128,
        reuse_port: bool = False,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host = host
        self._port = port
        self._reuse_port = reuse_port
        self.guard = guard

    @property
    def name(self) -> str:
        """The site's URL, ``http://host:port`` (IPv6 in brackets). Raises nothing."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound port (useful when 0 was asked for); the asked one before ``start``.

        Raises nothing.
        """
        sockets = getattr(self._server, "sockets", None)  # asyncio's and uvloop's servers
        return int(sockets[0].getsockname()[1]) if sockets else self._port

    async def start(self) -> None:
        """Bind and listen, as ``web.TCPSite.start`` does. Returns None.

        Raises ``OSError`` if the address cannot be bound (in use, not local).
        """
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.guard.wrap(server),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_port=self._reuse_port or None,
        )
