"""Push scenario: N viewers connected, the host pushes cards, measure push-to-receipt latency.

For each push the controller reads ``time.time_ns()`` just before the push call; every viewer
worker stamps ``time.time_ns()`` when the frame's bytes reach it. Both are CLOCK_REALTIME on
one machine, so the difference is the latency a viewer sees. The next push waits until every
viewer has the previous card (or a timeout), plus a short gap, so pushes never overlap.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks import apply, channel, floods, osinfo, targets
from benchmarks.stats import Spread, median

_NS_PER_MS = 1_000_000
# Per worker: well under the 20,000 open-files hard limit.
VIEWERS_PER_WORKER = 5_000
# Real viewers come from many addresses; liveevent caps sockets per address (2,000 by default)
# as abuse protection, so the generator spreads its viewers over 127.0.0.2, .3, ... at this many
# each. It also keeps every source far below the ~28k ephemeral ports one address has.
VIEWERS_PER_SOURCE_IP = 1_000

RATIO_FIGURES = (
    "push p50 ms",
    "push p90 ms",
    "push p99 ms",
    "push max ms",
    "pooled p99 ms",
    "worst push p99 ms",
    "server CPU ms/push",
    "loadgen CPU ms/push",
)


@dataclass(frozen=True)
class PushPlan:
    viewers: int
    pushes: int
    warmup: int = 2
    workers: int = 0  # 0: one per VIEWERS_PER_WORKER viewers
    gap_s: float = 0.3
    connect_concurrency: int = 50
    apply_rate: int = 0  # applications/s offered over websockets while pushing (0: none)
    flooders: int = 0  # sockets flooding tiny frames (never reading) while pushing (0: none)
    staff_pages: int = 0  # open staff pages (``benchmarks/staffers.py``) while pushing
    staff_interval_s: float = 3.0  # how often each asks for its chart and list page
    server_env: Mapping[str, str] = field(default_factory=dict)

    def worker_count(self) -> int:
        return self.workers or max(1, math.ceil(self.viewers / VIEWERS_PER_WORKER))


# ``push --questions``: an approved question on the card against a card push and the floor.
QUESTION_FIGURES = ("push p50 ms", "push p99 ms", "pooled p99 ms")


def question_ratios(results: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """For a run with ``liveevent-questions`` beside ``liveevent`` (and ``floor``): each
    figure of ``QUESTION_FIGURES`` as question/card, question/floor and card/floor, and
    (question/floor)/(card/floor), the issue's "same-run ratio to the floor" of a question
    against a card push's. Empty without both liveevent targets."""
    questions, cards = results.get("liveevent-questions"), results.get("liveevent")
    if questions is None or cards is None:
        return {}
    floor = results.get("floor")
    out: dict[str, float] = {}
    for fig in QUESTION_FIGURES:
        out[f"question/card {fig}"] = questions[fig] / cards[fig]
        if floor is not None and floor.get(fig):
            out[f"question/floor {fig}"] = questions[fig] / floor[fig]
            out[f"card/floor {fig}"] = cards[fig] / floor[fig]
    return out


# Figures of ``versus_idle``: what a viewer sees idle and under load, measured back to back.
VERSUS_IDLE_FIGURES = ("push p50 ms", "push p99 ms", "pooled p99 ms", "worst push p99 ms")


VERSUS_IDLE_RATIO_FIGURES = tuple(
    f"{label} {fig}" for label in ("idle", "loaded") for fig in VERSUS_IDLE_FIGURES
)


async def versus_idle(
    name: str, plan: PushPlan, layout: osinfo.Layout, session: aiohttp.ClientSession, order: int
) -> dict[str, float]:
    """One round of ``plan`` idle and one with its background load (applies, flooders, staff
    pages), back to back (which goes first alternates with ``order``, so neither always gets
    the warmer machine); the figures of both and, per round, the loaded p99 over the idle one.

    With both applies and staff pages, a third run with the applies alone sits between them
    (``applies only ...`` figures, and ``loaded/applies only push p99``): what the staff pages
    add on top of the applies."""
    idle_plan = dataclasses.replace(plan, apply_rate=0, flooders=0, staff_pages=0)
    runs = [("idle", idle_plan), ("loaded", plan)]
    if plan.staff_pages and plan.apply_rate:
        runs.insert(1, ("applies only", dataclasses.replace(plan, staff_pages=0)))
    if order % 2:
        runs.reverse()
    measured = {label: await run_target(name, each, layout, session) for label, each in runs}
    figures: dict[str, float] = {}
    for label, _ in sorted(runs, key=lambda run: ("idle", "applies only", "loaded").index(run[0])):
        for fig in VERSUS_IDLE_FIGURES:
            figures[f"{label} {fig}"] = measured[label][fig]
    figures["loaded/idle push p99"] = (
        measured["loaded"]["push p99 ms"] / measured["idle"]["push p99 ms"]
    )
    if "applies only" in measured:
        figures["applies only/idle push p99"] = (
            measured["applies only"]["push p99 ms"] / measured["idle"]["push p99 ms"]
        )
        figures["loaded/applies only push p99"] = (
            measured["loaded"]["push p99 ms"] / measured["applies only"]["push p99 ms"]
        )
    for fig in ("missing receipts", "viewers lost"):
        figures[fig] = sum(m[fig] for m in measured.values())
    for fig, value in measured["loaded"].items():
        if fig.startswith(("background ", "flood", "staff ")):
            figures[fig] = value
    return figures


async def spawn_staffers(
    target: targets.Target, plan: PushPlan, cpus: list[int] | None
) -> channel.WorkerProcess:
    """One worker holding ``plan.staff_pages`` staff pages (not started yet: send ``start``)."""
    if not isinstance(target, targets.LiveEvent):
        raise targets.TargetError(f"{target.name} has no staff pages")
    event_id, _, job_ids = target.event()
    worker = await channel.WorkerProcess.spawn(
        "staffers",
        "benchmarks.staffers",
        {
            "base_url": target.base_url,
            "event_id": event_id,
            "token": target.staff_token,
            "job_id": job_ids[0],
            "pages": plan.staff_pages,
            "interval_s": plan.staff_interval_s,
        },
        cpus,
    )
    await worker.expect("ready", 30)
    return worker


def staff_page_figures(report: dict[str, Any]) -> dict[str, float]:
    """The staff pages' report as figures: requests per s, their p50/p99, stats received."""
    seconds = float(report["seconds"])
    figures: dict[str, float] = {}
    for kind, times in report["ms"].items():
        spread = Spread.of(times)
        figures[f"staff {kind} requests per s"] = len(times) / max(seconds, 1e-9)
        figures[f"staff {kind} p50 ms"] = spread.p50
        figures[f"staff {kind} p99 ms"] = spread.p99
    figures["staff stats messages per s"] = report["stats_messages"] / max(seconds, 1e-9)
    figures["staff errors"] = float(sum(report["errors"].values()))
    for kind, count in report["errors"].items():
        print(f"    staff pages: {count} x {kind}", file=sys.stderr)
    return figures


async def spawn_viewers(
    target: targets.Target,
    viewers: int,
    workers: int,
    cpus: list[int] | None,
    concurrency: int,
) -> tuple[list[channel.WorkerProcess], list[dict[str, Any]]]:
    """Start ``workers`` viewer processes, each on its own source addresses; wait until ready."""
    share = [viewers // workers + (1 if i < viewers % workers else 0) for i in range(workers)]
    sources = []
    next_host = 2
    for n in share:
        count = max(1, math.ceil(n / VIEWERS_PER_SOURCE_IP))
        sources.append([f"127.0.0.{h}" for h in range(next_host, next_host + count)])
        next_host += count
    if next_host > 255:
        raise ValueError(f"{viewers} viewers need more than 253 source addresses")
    procs = [
        await channel.WorkerProcess.spawn(
            f"viewers-{i}",
            "benchmarks.viewers",
            {
                "host": targets.HOST,
                "port": target.ports[i % len(target.ports)],
                "path": target.viewer_path,
                "count": n,
                "source_ips": sources[i],
                "concurrency": concurrency,
            },
            cpus,
        )
        for i, n in enumerate(share)
    ]
    readies = await asyncio.gather(*(p.expect("ready", 300) for p in procs))
    failures: Counter[str] = Counter()
    for ready in readies:
        failures.update(ready["errors"])
    for kind, count in failures.most_common(5):
        print(f"    connect failures: {count} x {kind}", file=sys.stderr)
    return procs, readies


# The server's garbage collection figures, read from its /metrics (liveevent's
# ``liveevent_gc_pause_seconds`` by generation; a peer without them gets none). With
# ``--workers`` > 1 a scrape reaches one worker: the figures are that worker's.
_GC_SERIES = re.compile(
    r"^liveevent_gc_pause_(seconds_count|seconds_sum|longest_seconds)"
    r'\{[^}]*generation="(\d)"[^}]*\} (\S+)$',
    re.M,
)


async def gc_snapshot(
    session: aiohttp.ClientSession, base_url: str
) -> dict[tuple[str, int], float] | None:
    """``{(series, generation): value}`` from the server's /metrics, or None without them."""
    try:
        async with session.get(base_url + "/metrics") as resp:
            if resp.status != 200:
                return None
            text = await resp.text()
    except aiohttp.ClientError:
        return None
    found = {(m[1], int(m[2])): float(m[3]) for m in _GC_SERIES.finditer(text)}
    return found or None


def gc_figures(
    start: dict[tuple[str, int], float] | None,
    joined: dict[tuple[str, int], float] | None,
    end: dict[tuple[str, int], float] | None,
) -> dict[str, float]:
    """Full collections (generation 2) while viewers joined and while pushes went out, the
    time all collections stopped the server during the pushes, and the longest full one."""
    if start is None or joined is None or end is None:
        return {}

    def delta(a: dict[tuple[str, int], float], b: dict[tuple[str, int], float], key: Any) -> float:
        return b.get(key, 0.0) - a.get(key, 0.0)

    return {
        "server full GCs joining": delta(start, joined, ("seconds_count", 2)),
        "server full GCs pushing": delta(joined, end, ("seconds_count", 2)),
        "server GC ms pushing": 1000
        * sum(delta(joined, end, ("seconds_sum", g)) for g in range(3)),
        "server longest full GC ms": 1000 * end.get(("longest_seconds", 2), 0.0),
    }


async def _all_done(workers: list[channel.WorkerProcess], key: str, timeout_s: float) -> bool:
    # Polling every 2 ms costs the generator nothing measurable and avoids a task per worker.
    deadline = time.monotonic() + timeout_s
    while not all(key in w.done_keys for w in workers):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


def _warn_lost(name: str, reports: list[dict[str, Any]], field: str = "close_codes") -> None:
    """Say on stderr why viewers left: their latencies are missing from the figures."""
    codes: Counter[str] = Counter()
    for rep in reports:
        codes.update(rep.get(field, {}))
    if codes:
        print(f"    {name}: viewers lost, by close code: {dict(codes)}", file=sys.stderr)


async def run_target(
    name: str, plan: PushPlan, layout: osinfo.Layout, session: aiohttp.ClientSession
) -> dict[str, float]:
    """Run one push round against target ``name``; return its figures."""
    env = {**(apply.LIVEEVENT_ENV if plan.apply_rate else {}), **plan.server_env}
    target = targets.make(name, env)
    await target.start(layout.server_cpus, session)
    target.pin_store(layout.store_cpus)
    workers: list[channel.WorkerProcess] = []
    appliers: list[channel.WorkerProcess] = []
    flooder: channel.WorkerProcess | None = None
    staffers: channel.WorkerProcess | None = None
    staff_figures: dict[str, float] = {}
    apply_figures: dict[str, float] = {}
    flood_figures: dict[str, float] = {}
    gc_start = gc_joined = gc_end = None
    try:
        await target.prepare(session, plan.warmup + plan.pushes)
        gc_start = await gc_snapshot(session, target.base_url)
        workers, readies = await spawn_viewers(
            target,
            plan.viewers,
            plan.worker_count(),
            layout.loadgen_cpus,
            plan.connect_concurrency,
        )
        connected = sum(int(r["connected"]) for r in readies)
        connect_errors = sum(sum(r["errors"].values()) for r in readies)
        rejoined = sum(int(r.get("rejoined", 0)) for r in readies)
        _warn_lost(f"{name} (while joining)", readies, "join_close_codes")
        live = [w for w, r in zip(workers, readies, strict=True) if r["connected"]]
        if plan.apply_rate:
            background = apply.ApplyPlan(transport="ws", rate=plan.apply_rate, seconds=3600)
            appliers, apply_readies = await apply.spawn_appliers(
                target, background, layout.loadgen_cpus
            )
            for w in appliers:
                w.send({"cmd": "start"})
            await asyncio.sleep(2)  # reach the steady rate before the first push
        if plan.flooders:
            flooder = await floods.spawn_flooders(target, plan.flooders, layout.loadgen_cpus)
            flooder.send({"cmd": "start"})
            await asyncio.sleep(1)  # the attack is under way before the first push
            flood_started = time.monotonic()
        if plan.staff_pages:
            staffers = await spawn_staffers(target, plan, layout.loadgen_cpus)
            staffers.send({"cmd": "start"})
        await asyncio.sleep(0.5)  # let the server finish its per-viewer hello work
        gc_joined = await gc_snapshot(session, target.base_url)

        push_at: dict[str, int] = {}
        timeouts = 0
        push_call_ms: list[float] = []
        server_cpu0, own_cpu0 = osinfo.server_cpu_seconds(target.pid), channel.cpu_seconds()
        per_push_timeout_s = 10 + plan.viewers / 1000
        for seq in range(plan.warmup + plan.pushes):
            await target.before_push(session, seq)  # untimed (a question asked, say)
            t0 = time.time_ns()
            key = await target.push(session, seq)
            push_call_ms.append((time.time_ns() - t0) / _NS_PER_MS)
            if seq >= plan.warmup:
                push_at[key] = t0
            if not await _all_done(live, key, per_push_timeout_s):
                timeouts += 1
            await asyncio.sleep(plan.gap_s)
        server_cpu = osinfo.server_cpu_seconds(target.pid) - server_cpu0
        own_cpu = channel.cpu_seconds() - own_cpu0
        if flooder is not None:
            flooder.send({"cmd": "stop"})
            flood_report = await flooder.expect("report", 60)
            flood_figures = floods.flood_figures(flood_report, time.monotonic() - flood_started)
        if staffers is not None:
            staffers.send({"cmd": "stop"})
            staff_report = await staffers.expect("report", 60)
            staff_figures = staff_page_figures(staff_report)
        gc_end = await gc_snapshot(session, target.base_url)

        for w in workers:
            w.send({"cmd": "report"})
        reports = await asyncio.gather(*(w.expect("report", 120) for w in workers))
        if appliers:
            for w in appliers:
                w.send({"cmd": "stop"})
            apply_reports = await asyncio.gather(*(w.expect("report", 60) for w in appliers))
            summary = apply.summarize(name, background, apply_readies, apply_reports, None)
            apply_figures = {
                "background applies acked per s": summary["acked per s"],
                "background apply p99 ms": summary["ack p99 ms"],
                "background apply errors": summary["errors"] + summary["unacked"],
            }
    finally:
        extra = [w for w in (flooder, staffers) if w is not None]
        await asyncio.gather(*(w.stop() for w in [*workers, *appliers, *extra]))
        await target.stop()

    _warn_lost(name, reports)
    per_push: list[Spread] = []
    pooled: list[float] = []
    missing = 0
    for key, t0 in push_at.items():
        lat = [(t - t0) / _NS_PER_MS for rep in reports for t in rep["receipts"].get(key, [])]
        missing += connected - len(lat)
        per_push.append(Spread.of(lat))
        pooled.extend(lat)
    pooled_spread = Spread.of(pooled)
    worker_cpu = sum(
        float(rep["cpu_s"]) - float(r["cpu_s"]) for rep, r in zip(reports, readies, strict=True)
    )
    n = max(1, plan.warmup + plan.pushes)
    return {
        "viewers connected": connected,
        "connect errors": connect_errors,
        "rejoined after drop": rejoined,
        "push p50 ms": median(s.p50 for s in per_push),
        "push p90 ms": median(s.p90 for s in per_push),
        "push p99 ms": median(s.p99 for s in per_push),
        "push max ms": median(s.max for s in per_push),
        "pooled p99 ms": pooled_spread.p99,
        "worst push p99 ms": max((s.p99 for s in per_push), default=math.nan),
        "push call ms": median(push_call_ms),
        "missing receipts": missing,
        "push timeouts": timeouts,
        "viewers lost": sum(int(rep["lost"]) for rep in reports),
        "server CPU ms/push": server_cpu * 1000 / n,
        "loadgen CPU ms/push": (worker_cpu + own_cpu) * 1000 / n,
        **apply_figures,
        **flood_figures,
        **staff_figures,
        **gc_figures(gc_start, gc_joined, gc_end),
    }
