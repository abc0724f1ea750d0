"""Hostile sockets, for two measurements of issue 12's message floods.

- ``push --flooders N --versus-idle``: the push scenario with N flooding sockets (tiny frames,
  as fast as the server takes them, never reading; cut ones come back), beside the same round
  idle. Target: the loaded push p99 at most 1.2 x the idle one.
- ``nonreaders --sockets N``: N sockets that send pings with a 1 KB ``ref`` and never read for
  ``--seconds``, then close. The server's RSS (its processes, the embedded store left out) is
  read before, at its peak and ``--settle`` seconds after they are gone. Target: back within
  20 MB of where it started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks import channel, osinfo, targets

# Flooders come from an address of their own, far above the viewers' 127.0.0.2, .3, ...
FLOODER_SOURCE_IP = "127.0.0.250"
RATIO_FIGURES = ("RSS before MiB", "RSS peak MiB", "RSS after MiB", "RSS growth after MiB")


async def spawn_flooders(
    target: targets.Target,
    count: int,
    cpus: list[int] | None,
    *,
    payload_bytes: int = 0,
    reconnect: bool = True,
) -> channel.WorkerProcess:
    """One worker holding ``count`` flooding sockets (not started yet: send ``start``)."""
    worker = await channel.WorkerProcess.spawn(
        "flooders",
        "benchmarks.flooders",
        {
            "host": targets.HOST,
            "port": target.ports[0],
            "path": target.viewer_path,
            "count": count,
            "source_ip": FLOODER_SOURCE_IP,
            "payload_bytes": payload_bytes,
            "reconnect": reconnect,
        },
        cpus,
    )
    await worker.expect("ready", 30)
    return worker


def flood_figures(report: dict[str, Any], seconds: float) -> dict[str, float]:
    """The flooder worker's report as figures: how often it got in, how often it was cut."""
    return {
        "flooder connects": float(report["connects"]),
        "flooders cut by the server": float(report["cut"]),
        "flood frames sent per s": float(report["frames_sent"]) / max(seconds, 1e-9),
    }


@dataclass(frozen=True)
class NonReaderPlan:
    sockets: int = 40
    seconds: float = 5.0
    settle_s: float = 3.0
    payload_bytes: int = 1000
    server_env: Mapping[str, str] = field(default_factory=dict)


async def run_nonreaders(
    name: str, plan: NonReaderPlan, layout: osinfo.Layout, session: aiohttp.ClientSession
) -> dict[str, float]:
    """Server RSS before, at the peak of and after ``plan.sockets`` non-reading sockets."""
    target = targets.make(name, plan.server_env)
    await target.start(layout.server_cpus, session)
    target.pin_store(layout.store_cpus)
    worker: channel.WorkerProcess | None = None
    try:
        await target.prepare(session, 1)
        await asyncio.sleep(1.0)  # let start-up allocations land before the baseline
        before = osinfo.server_rss_kib(target.pid)
        worker = await spawn_flooders(
            target,
            plan.sockets,
            layout.loadgen_cpus,
            payload_bytes=plan.payload_bytes,
            reconnect=False,
        )
        worker.send({"cmd": "start"})
        peak = before
        loop = asyncio.get_running_loop()
        ends = loop.time() + plan.seconds
        while loop.time() < ends:
            await asyncio.sleep(0.2)
            peak = max(peak, osinfo.server_rss_kib(target.pid))
        worker.send({"cmd": "stop"})
        report = await worker.expect("report", 60)
        await asyncio.sleep(plan.settle_s)
        after = osinfo.server_rss_kib(target.pid)
        async with session.get(f"{target.base_url}/healthz") as resp:
            healthy = resp.status == 200
    finally:
        if worker is not None:
            await worker.stop()
        await target.stop()
    return {
        "sockets": plan.sockets,
        "RSS before MiB": before / 1024,
        "RSS peak MiB": peak / 1024,
        "RSS after MiB": after / 1024,
        "RSS growth after MiB": (after - before) / 1024,
        "healthy after": float(healthy),
        **flood_figures(report, plan.seconds),
    }
