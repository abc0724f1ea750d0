"""Viewer worker process: hold many viewer sockets and timestamp every card frame they receive.

Run by the controller as ``python -m benchmarks.viewers CONFIG_JSON`` (see ``channel``).
Config: ``host, port, path, count, source_ips, concurrency``.

Events written: ``ready`` (connected, errors, rejoined, cpu_s), ``done`` (every open viewer
has the card with this key), ``report`` (all receipt times by card key, cpu_s, open, lost,
close codes).

Every viewer of a push receives the same bytes when the server encodes once, so a frame's
key is looked up by its payload bytes and the JSON is parsed once per distinct payload, not
once per viewer: the generator's per-frame cost is a clock read and a dict lookup.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

from benchmarks import channel
from benchmarks.wsclient import ViewerConnection, open_viewer

_NOT_A_CARD = ""
# Per-viewer payloads (a hello with a cursor, say) would otherwise grow the cache forever.
_MAX_CACHED_PAYLOADS = 50_000
# After the join burst: how long to wait for late drops, and how often to rejoin the dropped.
_SETTLE_S = 0.5
_REJOIN_ROUNDS = 3


def card_key(payload: bytes) -> str:
    """Return the card frame's key (``card.card_id``, else ``card.job.id``), or ``""``.

    A positions-remaining frame (liveevent's ``openings`` message, issue 16) is keyed
    ``openings:<job id>:<hires>`` (``targets.LiveEventHires.push`` returns the same); a
    question frame (issue 17, ``push --questions``) by its ``question.question_id``."""
    try:
        msg = json.loads(payload)
    except ValueError:
        return _NOT_A_CARD
    if isinstance(msg, dict) and msg.get("type") == "openings":
        return f"openings:{msg.get('job_id')}:{msg.get('hires')}"
    if isinstance(msg, dict) and msg.get("type") == "question":
        question = msg.get("question") or {}
        return str(question.get("question_id") or _NOT_A_CARD)
    if not isinstance(msg, dict) or msg.get("type") != "card":
        return _NOT_A_CARD
    card = msg.get("card") or {}
    key = card.get("card_id") or (card.get("job") or {}).get("id")
    return str(key) if key else _NOT_A_CARD


class Recorder:
    """The sink all of a worker's viewers share: receipt times per card key."""

    def __init__(self) -> None:
        self.open = 0
        self.dropped = 0
        self.close_codes: Counter[int] = Counter()
        self.receipts: dict[str, list[int]] = {}
        self._keys: dict[bytes, str] = {}

    def message(self, conn: ViewerConnection, payload: bytes, t_ns: int) -> None:
        key = self._keys.get(payload)
        if key is None:
            if len(self._keys) >= _MAX_CACHED_PAYLOADS:
                self._keys.clear()
            key = self._keys[payload] = card_key(payload)
        if not key:
            return
        times = self.receipts.get(key)
        if times is None:
            times = self.receipts[key] = []
        times.append(t_ns)
        if len(times) == self.open:
            channel.emit({"event": "done", "key": key})

    def lost(self, conn: ViewerConnection, exc: Exception | None) -> None:
        # Only a viewer that finished its handshake was counted open (a timed-out one was
        # cancelled, a refused one failed).
        up = conn.upgraded
        if up.done() and not up.cancelled() and up.exception() is None:
            self.open -= 1
            self.dropped += 1
            self.close_codes[conn.close_code] += 1


async def connect_all(
    recorder: Recorder, cfg: dict[str, Any]
) -> tuple[list[ViewerConnection], Counter[str], int]:
    """Open ``count`` viewers, at most ``concurrency`` handshakes in flight, one retry each.

    Returns the open viewers, the failures by kind, and how many viewers were dropped right
    after joining and joined again (as a real client reconnects): a server that sheds viewers
    under a join burst shows it there, and the push figures still cover every viewer.

    Bounded concurrency keeps the server's accept backlog from overflowing, which would turn
    a connect into a 1 s SYN retransmit and a benchmark of the kernel's retry timer.
    """
    errors: Counter[str] = Counter()
    conns: list[ViewerConnection] = []
    gate = asyncio.Semaphore(cfg.get("concurrency", 100))
    sources = cfg.get("source_ips") or [None]

    async def one(i: int) -> None:
        async with gate:
            for attempt in range(2):
                try:
                    conn = await open_viewer(
                        recorder,
                        cfg["host"],
                        cfg["port"],
                        cfg["path"],
                        source_ip=sources[i % len(sources)],
                    )
                except Exception as exc:  # any failure is counted, not fatal to the run
                    if attempt == 1:
                        errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                    else:
                        await asyncio.sleep(0.2)
                    continue
                recorder.open += 1
                conns.append(conn)
                return

    await asyncio.gather(*(one(i) for i in range(cfg["count"])))
    rejoined = 0
    for _ in range(_REJOIN_ROUNDS):
        await asyncio.sleep(_SETTLE_S)
        dropped = [c for c in conns if c.closed]
        if not dropped:
            break
        conns = [c for c in conns if not c.closed]
        rejoined += len(dropped)
        await asyncio.gather(*(one(i) for i in range(len(dropped))))
    return conns, errors, rejoined


async def main_async(cfg: dict[str, Any]) -> None:
    recorder = Recorder()
    conns, errors, rejoined = await connect_all(recorder, cfg)
    join_codes, recorder.close_codes, recorder.dropped = recorder.close_codes, Counter(), 0
    channel.emit(
        {
            "event": "ready",
            "connected": len(conns),
            "rejoined": rejoined,
            "join_close_codes": join_codes,
            "errors": dict(errors),
            "cpu_s": channel.cpu_seconds(),
        }
    )
    async for cmd in channel.commands():
        if cmd["cmd"] == "report":
            channel.emit(
                {
                    "event": "report",
                    "receipts": recorder.receipts,
                    "open": recorder.open,
                    "lost": recorder.dropped,
                    "close_codes": recorder.close_codes,
                    "cpu_s": channel.cpu_seconds(),
                }
            )
            recorder.receipts = {}
    for conn in conns:
        conn.close()
    await asyncio.sleep(0.1)


def main() -> int:
    cfg = json.loads(sys.argv[1])
    channel.raise_fd_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(main_async(cfg))
    else:
        uvloop.run(main_async(cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
