"""Apply scenario: offer R applications/s for S seconds; time apply-to-ack and count them.

Throughput is acknowledged applications over the window from the first send to the last ack,
so a server that falls behind shows a rate below the offered one and a growing latency. For
liveevent the stats endpoint is read afterwards: every acknowledged application must be stored.
The floor peer acknowledges without storing anything: it is the generator's ceiling, not a peer.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks import channel, osinfo, targets
from benchmarks.stats import Spread

# The generator multiplexes thousands of applicants over a few hundred sockets from a few
# addresses; liveevent's per-viewer and per-address apply limits (abuse protection, meant for
# one phone per socket) would throttle that, so they are switched off for this scenario only;
# so is the per-socket message budget, which a multiplexed socket's applies would exceed.
LIVEEVENT_ENV = {
    "LIVEEVENT_APPLY_RATE_PER_VIEWER": "0",
    "LIVEEVENT_APPLY_RATE_PER_IP": "0",
    "LIVEEVENT_SOCKET_MESSAGES_PER_S": "0",
}

# With --forwarded-for: the appliers (sources 127.0.1.x) stand for a proxy in front, and the
# server trusts them, so every apply takes the X-Forwarded-For path of client_ip().
TRUSTED_LOADGEN = "127.0.0.0/8"

# Only throughput: the floor acknowledges without storing, so a latency ratio to it means little.
RATIO_FIGURES = ("acked per s",)


@dataclass(frozen=True)
class ApplyPlan:
    transport: str  # "ws" or "http"
    rate: int
    seconds: float
    connections: int = 200
    workers: int = 0  # 0: one per 5,000/s offered (a Python client tops out near 10k frames/s)
    server_env: Mapping[str, str] = field(default_factory=dict)
    # HTTP only: send X-Forwarded-For with this many distinct client addresses (0: none) and
    # run liveevent with trusted_proxies set to the load generator's addresses.
    forwarded_for: int = 0

    def worker_count(self) -> int:
        return self.workers or max(1, math.ceil(self.rate / 5000))


async def spawn_appliers(
    target: targets.Target, plan: ApplyPlan, cpus: list[int] | None
) -> tuple[list[channel.WorkerProcess], list[dict[str, Any]]]:
    """Start the apply workers (sources 127.0.1.x, apart from the viewers'); wait until ready."""
    route = target.apply_route()
    n = plan.worker_count()
    workers = []
    for i in range(n):
        config = {
            "host": targets.HOST,
            "port": target.port,
            "transport": plan.transport,
            "ws_path": route.ws_path,
            "http_path": route.http_path,
            "job_id": route.job_id,
            "rate": plan.rate / n,
            "seconds": plan.seconds,
            "connections": max(1, plan.connections // n),
            "index": i,
            "source_ip": f"127.0.1.{1 + i}",
            "forwarded_for": plan.forwarded_for,
        }
        workers.append(
            await channel.WorkerProcess.spawn(f"applier-{i}", "benchmarks.applier", config, cpus)
        )
    readies = await asyncio.gather(*(w.expect("ready", 60) for w in workers))
    return workers, readies


async def run_target(
    name: str, plan: ApplyPlan, layout: osinfo.Layout, session: aiohttp.ClientSession
) -> dict[str, float]:
    proxy_env = {"LIVEEVENT_TRUSTED_PROXIES": TRUSTED_LOADGEN} if plan.forwarded_for else {}
    target = targets.make(name, {**LIVEEVENT_ENV, **proxy_env, **plan.server_env})
    await target.start(layout.server_cpus, session)
    target.pin_store(layout.store_cpus)
    workers: list[channel.WorkerProcess] = []
    try:
        await target.prepare(session, 1)
        workers, readies = await spawn_appliers(target, plan, layout.loadgen_cpus)
        store = osinfo.store_pid(target.pid)
        cpu0 = osinfo.tree_cpu_seconds(target.pid)
        for w in workers:
            w.send({"cmd": "start"})
        reports = await asyncio.gather(*(w.expect("report", plan.seconds + 60) for w in workers))
        cpu1 = osinfo.tree_cpu_seconds(target.pid)
        # Per process, so a worker that started or ended in between counts for what it used.
        spent = {pid: cpu1[pid] - cpu0.get(pid, 0.0) for pid in cpu1}
        store_cpu = spent.pop(store, 0.0) if store is not None else math.nan
        server_cpu = sum(spent.values())
        loadgen_cpu = sum(
            float(rep["cpu_s"]) - float(r["cpu_s"]) for rep, r in zip(reports, readies, strict=True)
        )
        stored = await target.count_applications(session)
    finally:
        await asyncio.gather(*(w.stop() for w in workers))
        await target.stop()
    figures = summarize(name, plan, readies, reports, stored)
    window_s = figures.pop("window s")
    # Cores in use over the window, in % of one core: the server's processes (workers
    # included), its embedded store, and the load generator's apply processes.
    figures["server CPU %"] = 100 * server_cpu / window_s if window_s else math.nan
    figures["store CPU %"] = 100 * store_cpu / window_s if window_s else math.nan
    figures["loadgen CPU %"] = 100 * loadgen_cpu / window_s if window_s else math.nan
    return figures


def summarize(
    name: str,
    plan: ApplyPlan,
    readies: list[dict[str, Any]],
    reports: list[dict[str, Any]],
    stored: int | None,
) -> dict[str, float]:
    """Figures from the apply workers' reports (and the server's count, when it gives one)."""
    failures: Counter[str] = Counter()
    for rep in reports:
        failures.update(rep["errors"])
    for kind, count in failures.most_common(5):
        print(f"    {name} apply failures: {count} x {kind}", file=sys.stderr)
    latencies = Spread.of(us / 1000 for rep in reports for us in rep["latencies_us"])
    acked = latencies.count
    first = min(rep["first_send_ns"] for rep in reports)
    last = max(rep["last_ack_ns"] for rep in reports)
    window_s = (last - first) / 1e9 if last > first else math.nan
    return {
        "connections": sum(int(r["connected"]) for r in readies),
        "offered per s": float(plan.rate),
        "sent": sum(int(rep["sent"]) for rep in reports),
        "acked": acked,
        "acked per s": acked / window_s if window_s else math.nan,
        "ack p50 ms": latencies.p50,
        "ack p90 ms": latencies.p90,
        "ack p99 ms": latencies.p99,
        "ack max ms": latencies.max,
        "unacked": sum(int(rep["unacked"]) for rep in reports),
        "errors": sum(failures.values()),
        "duplicates": sum(int(rep["duplicates"]) for rep in reports),
        "stored": math.nan if stored is None else stored,
        "acked but not stored": math.nan if stored is None else max(0, acked - stored),
        "window s": window_s,
    }
