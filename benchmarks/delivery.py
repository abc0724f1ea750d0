"""Delivery scenario: a host pushes cards while viewers keep reconnecting; count duplicates and
gaps per viewer connection (docs/reliability.md, "Delivery").

The host pushes a card every 0-30 ms and keeps each push's answer (cursor, card id): that is
the reference timeline. Each of the viewers reconnects every 0.05-0.6 s, resuming with
``?since=<the last cursor it holds>`` 70% of the time (fresh otherwise), and records every
timeline message of each connection. A connection still open when the host stops is held
until it has the host's last cursor, so a gap at the end is caught too.

Per connection, the messages after ``hello`` must be exactly the reference entries after the
hello's cursor, in order (a prefix of them for a connection the viewer closed itself):

- a *duplicate* is a message at or below a cursor the connection already holds (its hello's
  included: a fresh viewer whose hello showed card X must not get X again);
- a *gap* is a reference entry the connection should have had before the last one it got
  (or, for a connection held to the end, any entry it never got);
- *wrong* counts messages whose cursor is not in the reference or whose card is not the one
  the host pushed at that cursor, and fresh hellos that show another card than the one on
  screen at their cursor.

``python -m benchmarks delivery --seconds 60 --rounds 3`` runs it against a real
``liveevent serve``; ``tests/web/test_delivery.py`` runs it against the app on loopback.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks import osinfo, targets

RESUME_SHARE = 0.7
PUSH_GAP_S = (0.0, 0.03)
LIFETIME_S = (0.05, 0.6)
FINAL_WAIT_S = 10.0  # how long a connection open at the end waits for the last entry
_ENDED = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.ERROR,
)


def cursor_key(cursor: str) -> tuple[int, int]:
    """``"<ms>-<seq>"`` as a comparable tuple (raises ValueError on anything else)."""
    ms, _, seq = cursor.partition("-")
    return int(ms), int(seq)


@dataclass(frozen=True)
class Endpoint:
    """An event to run the scenario on: the server's base URL, the event, its host token."""

    base_url: str
    event_id: str
    host_token: str
    job_ids: Sequence[str]

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + f"/ws/events/{self.event_id}"


@dataclass
class Connection:
    """What one viewer connection was sent: its hello, then timeline messages in order."""

    since: str | None
    start: str = ""  # the hello's cursor
    resumed: bool = False
    hello_card: str | None = None
    received: list[tuple[str, str | None]] = field(default_factory=list)  # (cursor, card id)
    final: bool = False  # held open until the host's last entry


@dataclass
class Tally:
    connects: int = 0
    resumed: int = 0
    messages: int = 0
    duplicates: int = 0
    gaps: int = 0
    wrong: int = 0
    failed_connects: int = 0

    def figures(self) -> dict[str, float]:
        return {
            "connects": self.connects,
            "resumed connects": self.resumed,
            "messages checked": self.messages,
            "duplicates": self.duplicates,
            "gaps": self.gaps,
            "wrong": self.wrong,
            "failed connects": self.failed_connects,
        }


def check(connections: Sequence[Connection], timeline: Sequence[tuple[str, str | None]]) -> Tally:
    """Compare each connection with the reference ``timeline`` ((cursor, card id or None),
    oldest first); return the counts (see the module docstring)."""
    keys = [cursor_key(cursor) for cursor, _ in timeline]
    index = {cursor: i for i, (cursor, _) in enumerate(timeline)}
    # The card on screen after each entry. The scenario only pushes cards (the one other
    # entry is the event going live), so it is the latest card at or before the entry.
    on_screen: list[str | None] = []
    for _, card in timeline:
        on_screen.append(card or (on_screen[-1] if on_screen else None))
    tally = Tally()
    for conn in connections:
        tally.connects += 1
        tally.resumed += conn.resumed
        held = cursor_key(conn.start)
        if not conn.resumed:
            at = bisect.bisect_right(keys, held) - 1  # the entry at or before the hello's cursor
            if conn.hello_card != (on_screen[at] if at >= 0 else None):
                tally.wrong += 1
        expected = bisect.bisect_right(keys, held)  # the next entry this connection is owed
        for cursor, card in conn.received:
            tally.messages += 1
            key = cursor_key(cursor)
            if key <= held:
                tally.duplicates += 1
                continue
            held = key
            i = index.get(cursor)
            if i is None:
                tally.wrong += 1
                expected = bisect.bisect_right(keys, key)
                continue
            tally.gaps += i - expected
            if timeline[i][1] != card:
                tally.wrong += 1
            expected = i + 1
        if conn.final:
            tally.gaps += len(timeline) - expected
    return tally


class Scenario:
    """One run: ``await Scenario(endpoint, ...).run(session)`` returns every connection and
    the host's reference timeline (what each push answered)."""

    def __init__(
        self, endpoint: Endpoint, *, seconds: float, viewers: int = 20, seed: int | None = None
    ) -> None:
        self.endpoint = endpoint
        self.seconds = seconds
        self.viewers = viewers
        self.rng = random.Random(seed)
        self.pushed: list[tuple[str, str | None]] = []
        self.connections: list[Connection] = []
        self.failed_connects = 0
        self._stop_at = 0.0
        self._done = asyncio.Event()

    async def run(self, session: aiohttp.ClientSession) -> list[Connection]:
        self._stop_at = time.monotonic() + self.seconds
        viewers = [asyncio.create_task(self._viewer(session, n)) for n in range(self.viewers)]
        try:
            await self._host(session)
        finally:
            self._done.set()
            await asyncio.gather(*viewers)
        return self.connections

    async def _host(self, session: aiohttp.ClientSession) -> None:
        ep = self.endpoint
        headers = {"Authorization": f"Bearer {ep.host_token}"}
        url = f"{ep.base_url}/api/events/{ep.event_id}/cards"
        seq = 0
        while time.monotonic() < self._stop_at:
            body = {"job_id": ep.job_ids[seq % len(ep.job_ids)]}
            async with session.post(url, json=body, headers=headers) as resp:
                answer: Any = await resp.json()
                if resp.status != 201:
                    raise RuntimeError(f"push answered {resp.status}: {answer}")
            self.pushed.append((str(answer["cursor"]), str(answer["card_id"])))
            seq += 1
            await asyncio.sleep(self.rng.uniform(*PUSH_GAP_S))

    async def _viewer(self, session: aiohttp.ClientSession, n: int) -> None:
        held: str | None = None
        while time.monotonic() < self._stop_at:
            since = held if held is not None and self.rng.random() < RESUME_SHARE else None
            conn = Connection(since)
            url = self.endpoint.ws_url + (f"?since={since}" if since else "")
            try:
                async with session.ws_connect(url, autoping=True) as ws:
                    await self._read(ws, conn, time.monotonic() + self.rng.uniform(*LIFETIME_S))
            except (aiohttp.ClientError, ConnectionError, TimeoutError):
                if not conn.start:
                    self.failed_connects += 1
                    await asyncio.sleep(0.05)
                    continue
                conn.final = False  # cut off: what came is still checked, as a prefix
            self.connections.append(conn)
            if conn.received:
                held = conn.received[-1][0]
            elif conn.start:
                held = conn.start

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, conn: Connection, end: float
    ) -> None:
        first = await ws.receive(timeout=FINAL_WAIT_S)
        if first.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed before hello: {first.type!r}")
        hello = first.json()
        if hello.get("type") != "hello":
            raise RuntimeError(f"the first message was not hello: {hello}")
        conn.start = str(hello["cursor"])
        conn.resumed = bool(hello.get("resumed"))
        card = hello.get("card")
        conn.hello_card = str(card["card_id"]) if card else None
        while True:
            now = time.monotonic()
            if now >= self._stop_at and end > self._stop_at:
                conn.final = True  # open across the end: it must get every entry
                await self._read_to_end(ws, conn)
                return
            if now >= end:
                return
            try:
                msg = await ws.receive(timeout=min(end, self._stop_at + 0.001) - now)
            except TimeoutError:
                continue
            if not self._record(conn, msg):
                return

    async def _read_to_end(self, ws: aiohttp.ClientWebSocketResponse, conn: Connection) -> None:
        await self._done.wait()
        last = cursor_key(self.pushed[-1][0]) if self.pushed else (0, 0)
        deadline = time.monotonic() + FINAL_WAIT_S
        while not conn.received or cursor_key(conn.received[-1][0]) < last:
            if cursor_key(conn.start) >= last and not conn.received:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                msg = await ws.receive(timeout=remaining)
            except TimeoutError:
                return
            if not self._record(conn, msg):
                return

    @staticmethod
    def _record(conn: Connection, msg: aiohttp.WSMessage) -> bool:
        """Keep a timeline message; False when the connection has ended."""
        if msg.type != aiohttp.WSMsgType.TEXT:
            if msg.type in _ENDED:
                conn.final = False  # closed by the server: what came is checked as a prefix
                return False
            return True
        message = msg.json()
        kind = message.get("type")
        if kind == "card":
            conn.received.append((str(message["cursor"]), str(message["card"]["card_id"])))
        elif kind in ("withdraw", "state"):
            conn.received.append((str(message["cursor"]), None))
        return True


async def run_round(
    endpoint: Endpoint,
    session: aiohttp.ClientSession,
    *,
    seconds: float,
    viewers: int = 20,
    timeline: Sequence[tuple[str, str | None]] | None = None,
) -> Tally:
    """Run the scenario once and check it against ``timeline`` (the host's own record of its
    pushes when None)."""
    scenario = Scenario(endpoint, seconds=seconds, viewers=viewers)
    connections = await scenario.run(session)
    tally = check(connections, scenario.pushed if timeline is None else timeline)
    tally.failed_connects = scenario.failed_connects
    return tally


async def run_liveevent(
    *,
    seconds: float,
    viewers: int,
    layout: osinfo.Layout,
    session: aiohttp.ClientSession,
    server_env: dict[str, str] | None = None,
) -> Tally:
    """One round against a fresh ``liveevent serve`` (its embedded store): start it, make a
    live event, run the scenario, stop it."""
    target = targets.LiveEvent(server_env)
    await target.start(layout.server_cpus, session)
    try:
        target.pin_store(layout.store_cpus)
        await target.prepare(session, 0)
        event_id, host_token, job_ids = target.event()
        endpoint = Endpoint(target.base_url, event_id, host_token, job_ids)
        return await run_round(endpoint, session, seconds=seconds, viewers=viewers)
    finally:
        await target.stop()
