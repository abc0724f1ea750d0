"""Staff-page worker: ``pages`` open staff pages doing what ``static/js/staff.js`` does while
applications arrive (issue 15, part 1: push p99 with 5 staff pages open).

Each page, once started:

- holds the live-numbers socket ``/ws/host/{event}`` (auth with the staff token), on which the
  server computes and sends ``/stats`` every second (``web/host.INTERVAL_S``): that is how the
  page gets its numbers, it never polls ``GET /stats``;
- every ``interval_s`` (3 s: the page's ``scheduleChart`` delay, which runs whenever the
  numbers changed, so every 3 s in a burst) asks ``GET /activity?since=<its last since>``
  (the whole chart the first time), and reloads its list page with its filter
  (``GET /applications?...&limit=50``; the page does that when the staff member clicks "new
  applications" or changes a filter: at most as often as the chart here, an upper bound).

The pages' filters differ (unfiltered, by job, by status, by job and status), and so do their
phases (the first page starts at once, the others spread over the interval), as five people
would. Config: ``base_url, event_id, token, job_id, pages, interval_s``. Commands: ``start``,
``stop`` (then report ``{"requests": {kind: count}, "ms": {kind: [latency, ...]},
"stats_messages", "seconds", "errors": {kind: count}, "cpu_s"}``, kinds ``list`` and ``activity``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from typing import Any

import aiohttp

from benchmarks import channel

LIMIT = 50


def filters(job_id: str) -> list[dict[str, str]]:
    """The list filters of the pages, one per page in turn."""
    return [
        {"status": "applied"},
        {"job_id": job_id},
        {},
        {"job_id": job_id, "status": "applied"},
        {"status": "contacted"},
    ]


class Tally:
    """What the pages did: latencies (ms) by kind, stats messages, errors by kind."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {"list": [], "activity": []}
        self.stats_messages = 0
        self.errors: Counter[str] = Counter()


async def _get(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], token: str
) -> tuple[float, Any]:
    started = time.perf_counter()
    async with session.get(url, params=params, headers={"Authorization": f"Bearer {token}"}) as r:
        body = await r.json()
        if r.status != 200:
            raise RuntimeError(f"{r.status}")
    return (time.perf_counter() - started) * 1000, body


async def _numbers(session: aiohttp.ClientSession, cfg: dict[str, Any], tally: Tally) -> None:
    url = f"{cfg['base_url']}/ws/host/{cfg['event_id']}"
    while True:
        try:
            async with session.ws_connect(url) as ws:
                await ws.send_json({"type": "auth", "token": cfg["token"]})
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT and '"stats"' in msg.data:
                        tally.stats_messages += 1
        except (aiohttp.ClientError, OSError) as exc:
            tally.errors[f"socket {type(exc).__name__}"] += 1
        await asyncio.sleep(1)  # the page's socket reconnects too


async def _page(session: aiohttp.ClientSession, cfg: dict[str, Any], n: int, tally: Tally) -> None:
    base = f"{cfg['base_url']}/api/events/{cfg['event_id']}"
    interval = float(cfg.get("interval_s", 3.0))
    wanted = filters(cfg["job_id"])[n % 5]
    since: Any = None
    await asyncio.sleep(interval * n / max(1, int(cfg["pages"])))
    next_at = time.monotonic()
    while True:
        for kind, url, params in (
            ("activity", f"{base}/activity", {} if since is None else {"since": str(since)}),
            ("list", f"{base}/applications", {**wanted, "limit": str(LIMIT)}),
        ):
            try:
                ms, body = await _get(session, url, params, cfg["token"])
                tally.ms[kind].append(ms)
                if kind == "activity" and body.get("since") is not None:
                    since = body["since"]
            except (aiohttp.ClientError, OSError, RuntimeError) as exc:
                tally.errors[f"{kind} {exc}"] += 1
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def main_async(cfg: dict[str, Any]) -> None:
    tally = Tally()
    tasks: list[asyncio.Task[None]] = []
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        channel.emit({"event": "ready", "cpu_s": channel.cpu_seconds()})
        async for cmd in channel.commands():
            if cmd["cmd"] == "start":
                started = time.monotonic()
                pages = int(cfg["pages"])
                tasks = [asyncio.create_task(_numbers(session, cfg, tally)) for _ in range(pages)]
                tasks += [asyncio.create_task(_page(session, cfg, n, tally)) for n in range(pages)]
            elif cmd["cmd"] == "stop":
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks, return_exceptions=True)
                channel.emit(
                    {
                        "event": "report",
                        "requests": {kind: len(ms) for kind, ms in tally.ms.items()},
                        "ms": tally.ms,
                        "stats_messages": tally.stats_messages,
                        "seconds": time.monotonic() - started,
                        "errors": dict(tally.errors),
                        "cpu_s": channel.cpu_seconds(),
                    }
                )


def main() -> int:
    cfg = json.loads(sys.argv[1])
    asyncio.run(main_async(cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
