"""Idle scenario: connect N viewers, hold them, read the server's RSS before and after.

Memory per viewer is ``(RSS_after - RSS_before) / N`` of the server's processes (its workers
too, with ``--workers N``; VmRSS from ``/proc/PID/status``), its embedded store left out: idle
viewers cost the store nothing. RSS after is read once the connections have settled, then the
viewers are held for ``hold_s`` and counted again, so a server that drops idle viewers shows it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from benchmarks import channel, osinfo, push, targets

RATIO_FIGURES = ("RSS before MiB", "RSS after MiB", "KiB per viewer")


@dataclass(frozen=True)
class IdlePlan:
    viewers: int
    workers: int = 0
    hold_s: float = 10.0
    settle_s: float = 3.0
    connect_concurrency: int = 50
    server_env: Mapping[str, str] = field(default_factory=dict)

    def worker_count(self) -> int:
        return self.workers or max(1, math.ceil(self.viewers / push.VIEWERS_PER_WORKER))


async def run_target(
    name: str, plan: IdlePlan, layout: osinfo.Layout, session: aiohttp.ClientSession
) -> dict[str, float]:
    target = targets.make(name, plan.server_env)
    await target.start(layout.server_cpus, session)
    target.pin_store(layout.store_cpus)
    workers: list[channel.WorkerProcess] = []
    try:
        await target.prepare(session, 1)
        await asyncio.sleep(1.0)  # let start-up allocations land before the baseline
        rss_before = osinfo.server_rss_kib(target.pid)
        workers, readies = await push.spawn_viewers(
            target, plan.viewers, plan.worker_count(), layout.loadgen_cpus, plan.connect_concurrency
        )
        connected = sum(int(r["connected"]) for r in readies)
        errors = sum(sum(r["errors"].values()) for r in readies)
        rejoined = sum(int(r.get("rejoined", 0)) for r in readies)
        await asyncio.sleep(plan.settle_s)
        rss_after = osinfo.server_rss_kib(target.pid)
        await asyncio.sleep(plan.hold_s)
        for w in workers:
            w.send({"cmd": "report"})
        reports = await asyncio.gather(*(w.expect("report", 60) for w in workers))
        rss_end = osinfo.server_rss_kib(target.pid)
    finally:
        await asyncio.gather(*(w.stop() for w in workers))
        await target.stop()
    return {
        "viewers connected": connected,
        "connect errors": errors,
        "rejoined after drop": rejoined,
        "open after hold": sum(int(rep["open"]) for rep in reports),
        "RSS before MiB": rss_before / 1024,
        "RSS after MiB": rss_after / 1024,
        "RSS end of hold MiB": rss_end / 1024,
        "KiB per viewer": (rss_after - rss_before) / max(1, connected),
    }
