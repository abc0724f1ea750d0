"""Staff pages at a million applications: list pages and ``/activity`` (issue 15, part 1).

    python -m benchmarks.staff_pages [--applications 100000,1000000]
                                     [--targets liveevent,liveevent-base] [--rounds 3]
                                     [--requests 50] [--base-requests 2] [--base-rounds 1]
                                     [--keep DIR] [--attribution] [--json FILE]

Every (target, size) gets a server of its own with a store of its own, all running at once:
``liveevent``, and ``liveevent-base`` (an earlier commit checked out at ``LIVEEVENT_BASE_DIR``)
when that is set. Each store is filled through that version's own store classes
(``benchmarks/fill_store.py``, run with the target's code first on ``PYTHONPATH``: one event,
50 jobs, 5% ``contacted`` and 1% ``hired``, spread over a 3 h broadcast). With ``--keep DIR``
the stores live in ``DIR/<target>-<size>[-attr]`` and a store filled once is reused by the
next run (a 1,000,000 fill takes minutes); without it they are temporary.

Then, ``--rounds`` times, every server in turn (the order rotates between rounds, so that the
sizes are compared on the same machine at the same moments: the ratio of a round is the
figure, not the times of a quiet or busy minute) is asked, over HTTP with a staff token:

- the list, unfiltered, by job, by status (``contacted``, and ``applied``: nearly all of
  them), by job and status (both statuses), each at its first page and its last (``offset`` =
  total - 50), 50 rows a page;
- ``GET /stats``, which the live-numbers socket of every open staff page computes every
  second;
- ``GET /activity``, and (where the target has it) ``GET /activity?since=`` with the
  ``since`` of that answer, as a staff page polls it.

Each case is requested ``--requests`` times in a row after two unmeasured ones (the base, whose
pages read the whole stream, ``--base-requests`` times after one, in ``--base-rounds`` rounds,
and only its ``--base-cases``: the unfiltered first page, the job + contacted one and the chart
by default; its every page costs the same full scan).
Beside the HTTP time, what a request costs: the on-CPU time per request of the store and of
the server process (``on_cpu_ns``: unlike wall-clock times, not inflated when the machine is
busy with other work), and from ``CONFIG RESETSTAT`` before a case and ``INFO commandstats``
after, per command the calls per request and the store's microseconds per call (commands run
inside a script are counted too): which command grows with the store.

Last, a control (``--control``): commands whose cost does not depend on the number of entries
(``HGET`` of a random application's index entry, ``XRANGE`` of one random stream entry), run
raw from a script in the store, 20,000 of each, at every size: how much slower the store's
memory makes the same O(1) work in a bigger store.

The table gives per case p50 / p99 in ms (medians over rounds) and store us, and for
liveevent the median over rounds of each round's p50 ratio and store-time ratio, largest size
over smallest. Then the store's memory per application (``MEMORY USAGE`` of the event's keys,
once keys excluded: see ``fill_store``). No pinning: note the machine's load with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError, RedisError

from benchmarks import osinfo, targets
from benchmarks.fill_store import STAFF_TOKEN
from liveevent.store.embedded import EmbeddedStore

EVENT = "bench"
LIMIT = 50
KEY_PREFIX = "le"
CASES: list[tuple[str, dict[str, str]]] = [
    ("unfiltered", {}),
    ("job", {"job_id": "j7"}),
    ("status contacted", {"status": "contacted"}),
    ("status applied", {"status": "applied"}),
    ("job + contacted", {"job_id": "j7", "status": "contacted"}),
    ("job + applied", {"job_id": "j7", "status": "applied"}),
]

# The control: O(1) store work on random entries, from a script (no round trip per command).
# KEYS: appidx apps; ARGV: count n (applications) seed -> the number of entries found
CONTROL_HGET = """
math.randomseed(tonumber(ARGV[3]))
local found = 0
for i = 1, tonumber(ARGV[1]) do
  if redis.call('HGET', KEYS[1], tostring(math.random(1, tonumber(ARGV[2])))) then
    found = found + 1
  end
end
return found
"""
CONTROL_XRANGE = """
math.randomseed(tonumber(ARGV[3]))
local found = 0
for i = 1, tonumber(ARGV[1]) do
  local where = redis.call('HGET', KEYS[1], tostring(math.random(1, tonumber(ARGV[2]))))
  if where then
    local sid = string.sub(where, 1, string.find(where, '|', 1, true) - 1)
    found = found + #redis.call('XRANGE', KEYS[2], sid, sid)
  end
end
return found
"""
CONTROL_COUNT = 20_000


@dataclass
class Setup:
    """One server under test: a target at one size, with its store."""

    name: str
    size: int
    target: targets.Target
    data_dir: Path
    memory: dict[str, Any] = field(default_factory=dict)
    store: aioredis.Redis | None = None
    store_pid: int = 0

    @property
    def label(self) -> str:
        return f"{self.name} at {self.size:,}"


def store_client(data_dir: Path) -> aioredis.Redis:
    """A client of the embedded store of ``data_dir`` (its ``server.json``: port, password)."""
    state = json.loads((data_dir / "store" / "server.json").read_text())
    return aioredis.Redis(
        host="127.0.0.1", port=int(state["port"]), password=str(state["password"])
    )


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def store_loaded(data_dir: Path, timeout_s: float = 900.0) -> None:
    """Start the embedded store of ``data_dir`` and wait until it has loaded its data.

    A kept store of 1,000,000 applications replays ~0.5 GB of AOF, longer than the server
    waits for its store at start (10 s) on a busy machine: started here first, the server
    re-attaches to it. One still loading (a server gave up on it) is waited for, not started
    a second time on the same files.
    """
    state_file = data_dir / "store" / "server.json"
    if state_file.is_file():
        state = json.loads(state_file.read_text())
        if _running(int(state["pid"])):
            client = store_client(data_dir)
            deadline = time.monotonic() + timeout_s
            try:
                while True:
                    try:
                        if await client.ping():
                            return
                    except BusyLoadingError:  # still replaying its AOF: wait for it
                        pass
                    except RedisError:
                        if not _running(int(state["pid"])):
                            break  # gone (its server.json left behind): start it below
                        if time.monotonic() > deadline:
                            raise
                    await asyncio.sleep(0.5)
            finally:
                await client.aclose()
    await EmbeddedStore(data_dir).start(timeout_s=timeout_s)


async def fill(setup: Setup, *, attribution: bool) -> dict[str, Any]:
    """Fill the setup's store with ``setup.size`` applications; the fill's report."""
    command = [
        sys.executable,
        str(osinfo.REPO_ROOT / "benchmarks" / "fill_store.py"),
        "--data-dir",
        str(setup.data_dir),
        "--applications",
        str(setup.size),
        "--event",
        EVENT,
        "--quiet",
    ]
    if attribution:
        command.append("--attribution")
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=setup.target.workdir,
        env=setup.target.environment(),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the fill of {setup.label} failed (exit {proc.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


async def commandstats(client: aioredis.Redis) -> dict[str, tuple[int, int]]:
    """{command: (calls, usec)} since the last ``CONFIG RESETSTAT``."""
    info = await client.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"]))
        for name, v in info.items()
        if isinstance(v, dict)
    }


def on_cpu_ns(pid: int) -> int:
    """Nanoseconds that process ``pid`` (every thread of it) has run on a CPU: the first field
    of ``/proc/PID/task/*/schedstat``. Unlike a wall-clock time, it does not count the time
    the process waited for a CPU that other work had (a shared machine)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


async def timed(
    session: aiohttp.ClientSession,
    setup: Setup,
    url: str,
    params: dict[str, str],
    requests: int,
    warmup: int,
) -> tuple[dict[str, Any], Any]:
    """Ask ``url`` ``warmup + requests`` times; the figures of the measured ones and the last
    answer: ``times`` (ms each); ``store_us`` (the store's microseconds inside commands per
    request, ``INFO commandstats``: wall clock, so a store that lost its CPU meanwhile counts
    it); ``store_cpu_us`` and ``server_cpu_us`` (on-CPU microseconds per request of the store
    and of the server process, ``on_cpu_ns``: what the request cost, whatever else ran); and
    ``per_command`` ({command: [calls per request, store microseconds per call]})."""
    store = setup.store
    assert store is not None
    pids = (setup.target.pid, setup.store_pid)
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    times: list[float] = []
    body: Any = None
    cpu_before = (0, 0)
    for n in range(requests + warmup):
        if n == warmup:
            await store.config_resetstat()
            cpu_before = (on_cpu_ns(pids[0]), on_cpu_ns(pids[1]))
        started = time.perf_counter()
        async with session.get(url, params=params, headers=headers) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise SystemExit(f"GET {url} {params} -> {resp.status}: {body}")
        if n >= warmup:  # the first ones unmeasured: connections and scripts warm
            times.append((time.perf_counter() - started) * 1000)
    cpu_after = (on_cpu_ns(pids[0]), on_cpu_ns(pids[1]))
    stats = await commandstats(store)
    stats.pop("config|resetstat", None)
    stats.pop("info", None)
    n = max(1, requests)
    figures = {
        "times": times,
        "store_us": sum(usec for _, usec in stats.values()) / n,
        "server_cpu_us": (cpu_after[0] - cpu_before[0]) / 1000 / n,
        "store_cpu_us": (cpu_after[1] - cpu_before[1]) / 1000 / n,
        "per_command": {
            name: [round(calls / n, 2), round(usec / calls, 2)]
            for name, (calls, usec) in stats.items()
        },
    }
    return figures, body


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    times = figures.pop("times")
    return {"p50": statistics.median(times), "p99": p(times, 0.99), **figures}


async def measure(
    session: aiohttp.ClientSession,
    setup: Setup,
    requests: int,
    warmup: int,
    only: set[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """One round of every case (or of the ``only`` ones: a first page and ``activity``) on
    one server: {case: {p50, p99, store_us, per_command}}."""
    assert setup.store is not None
    base = f"{setup.target.base_url}/api/events/{EVENT}"
    results: dict[str, dict[str, Any]] = {}
    for name, filters in CASES:
        if only is not None:
            if f"{name}, first page" in only:
                params = {**filters, "limit": str(LIMIT)}
                first, body = await timed(
                    session, setup, f"{base}/applications", params, requests, warmup
                )
                results[f"{name}, first page"] = {**summary(first), "total": int(body["total"])}
            continue
        params = {**filters, "limit": str(LIMIT)}
        first, body = await timed(session, setup, f"{base}/applications", params, requests, warmup)
        results[f"{name}, first page"] = {**summary(first), "total": int(body["total"])}
        params["offset"] = str(max(0, int(body["total"]) - LIMIT))
        last, _ = await timed(session, setup, f"{base}/applications", params, requests, warmup)
        results[f"{name}, last page"] = {**summary(last), "total": int(body["total"])}
    if only is None:  # what every open staff page's live-numbers socket computes each second
        stats, _ = await timed(session, setup, f"{base}/stats", {}, requests, warmup)
        results["stats"] = summary(stats)
    if only is not None and "activity" not in only:
        return results
    chart, body = await timed(session, setup, f"{base}/activity", {}, requests, warmup)
    results["activity"] = summary(chart)
    if (
        body.get("since") is not None and only is None
    ):  # the poll of a staff page that has the chart already
        polled, _ = await timed(
            session,
            setup,
            f"{base}/activity",
            {"since": str(body["since"])},
            requests,
            warmup,
        )
        results["activity, since="] = summary(polled)
    return results


async def control(setup: Setup, seed: int, count: int = CONTROL_COUNT) -> dict[str, float]:
    """The store's cost of O(1) work on random entries (``CONTROL_*``): per HGET and per
    XRANGE, the microseconds inside the command (``INFO commandstats``, wall clock), and per
    step of each loop the store's on-CPU microseconds (``on_cpu_ns``: the HGET loop's step
    is one HGET, the XRANGE loop's an HGET and an XRANGE, each with the script's own work)."""
    assert setup.store is not None
    keys = [f"{KEY_PREFIX}:{{{EVENT}}}:appidx", f"{KEY_PREFIX}:{{{EVENT}}}:apps"]
    figures: dict[str, float] = {}
    for name, script in (("hget", CONTROL_HGET), ("xrange", CONTROL_XRANGE)):
        await setup.store.eval(script, 2, *keys, 100, setup.size, seed)  # warm
        await setup.store.config_resetstat()
        cpu = on_cpu_ns(setup.store_pid)
        found = await setup.store.eval(script, 2, *keys, count, setup.size, seed)
        cpu = on_cpu_ns(setup.store_pid) - cpu
        if int(found) != count:
            raise SystemExit(f"control of {setup.label}: {found} of {count} found")
        calls, usec = (await commandstats(setup.store))[name]
        figures[f"{name} us"] = usec / calls
        figures[f"{name} loop CPU us"] = cpu / 1000 / count
    return figures


async def prepare(
    session: aiohttp.ClientSession, args: argparse.Namespace, keep: Path, setups: list[Setup]
) -> None:
    """Start a server per (target, size), filling each store that is not filled yet; each
    is added to ``setups`` as soon as it runs (the caller stops them, also after a failure)."""
    suffix = "-attr" if args.attribution else ""
    for name in args.targets.split(","):
        if not targets.available(name):
            print(f"{name}: not available here, skipped", file=sys.stderr)
            continue
        for size in [int(s) for s in args.applications.split(",")]:
            if name == "liveevent-base" and size > args.base_max:
                print(f"{name}: {size:,} skipped (--base-max)", file=sys.stderr)
                continue
            target = targets.make(name)
            assert isinstance(target, targets.LiveEvent)
            data_dir = keep / f"{name}-{size}{suffix}"
            target.data_dir = data_dir
            setup = Setup(name, size, target, data_dir)
            setups.append(setup)
            await store_loaded(data_dir)
            await target.start(None, session)
            marker = data_dir / "filled.json"
            if marker.is_file():
                setup.memory = json.loads(marker.read_text())
                print(f"{setup.label}: reusing {data_dir}", file=sys.stderr)
            else:
                started = time.monotonic()
                setup.memory = await fill(setup, attribution=args.attribution)
                marker.write_text(json.dumps(setup.memory))
                took = time.monotonic() - started
                print(f"{setup.label}: filled in {took:.0f} s", file=sys.stderr)
            setup.store = store_client(data_dir)
            setup.store_pid = int(
                json.loads((data_dir / "store" / "server.json").read_text())["pid"]
            )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="staff-pages-"))
    keep.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "sizes": [int(s) for s in args.applications.split(",")],
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load": [os.getloadavg()],
        "rounds": {},
        "memory": {},
        "control": {},
    }
    setups: list[Setup] = []
    async with aiohttp.ClientSession() as session:
        try:
            await prepare(session, args, keep, setups)
            for setup in setups:
                report["memory"][setup.label] = setup.memory
            for r in range(args.rounds):
                shift = r % max(1, len(setups))
                for setup in setups[shift:] + setups[:shift]:
                    base = setup.name == "liveevent-base"
                    if base and r >= args.base_rounds:
                        continue
                    requests = args.base_requests if base else args.requests
                    only = set(args.base_cases.split(";")) if base and args.base_cases else None
                    cases = await measure(session, setup, requests, 1 if base else 2, only)
                    rounds = report["rounds"].setdefault(setup.label, [])
                    rounds.append({"requests": requests, "cases": cases})
                    if args.control:
                        control_rounds = report["control"].setdefault(setup.label, [])
                        control_rounds.append(await control(setup, r + 1, args.control_count))
                    print(f"round {r + 1}: {setup.label} measured", file=sys.stderr)
                    if args.json:  # so far, should a later round not finish
                        save(report, args.json)
                report["load"].append(os.getloadavg())
        finally:
            for setup in setups:
                if setup.store is not None:
                    await setup.store.aclose()
                await setup.target.stop()
            if not args.keep:
                shutil.rmtree(keep, ignore_errors=True)
    return report


def save(report: dict[str, Any], path: str) -> None:
    """Write the report as JSON to ``path``."""
    with open(path, "w") as out:
        json.dump(report, out, indent=1)


def _median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def table(report: dict[str, Any]) -> str:
    """The report as Markdown: per target a table of sizes, then memory and the control."""
    lines = [f"started {report['started']}, load averages (1, 5, 15 min): {report['load']}"]
    rounds: dict[str, list[dict[str, Any]]] = report["rounds"]
    names = sorted({label.split(" at ")[0] for label in rounds}, key=lambda n: n != "liveevent")
    for name in names:
        labels = [f"{name} at {s:,}" for s in report["sizes"] if f"{name} at {s:,}" in rounds]
        if not labels:
            continue
        count = len(rounds[labels[0]])
        requests = rounds[labels[0]][0]["requests"]
        lines.append(f"\n{name}: {count} round(s) of {requests} requests per case")
        header = "| case | " + " | ".join(
            f"{label.split(' at ')[1]}: p50 / p99 ms; store, server CPU us" for label in labels
        )
        both = len(labels) > 1
        if both:
            header += " | p50 ratio | store CPU ratio | store + server CPU ratio"
        lines.append(header + " |")
        lines.append("|---" * header.count("|") + "|")
        for case in rounds[labels[0]][0]["cases"]:
            cells = []
            for label in labels:
                per_round = [r["cases"][case] for r in rounds[label]]
                p50 = _median([f["p50"] for f in per_round])
                p99 = _median([f["p99"] for f in per_round])
                store = _median([f.get("store_cpu_us", math.nan) for f in per_round])
                server = _median([f.get("server_cpu_us", math.nan) for f in per_round])
                cells.append(f"{p50:.2f} / {p99:.2f}; {store:.0f}, {server:.0f}")
            if both:
                pairs = list(zip(rounds[labels[0]], rounds[labels[-1]], strict=False))
                for figure in (("p50",), ("store_cpu_us",), ("store_cpu_us", "server_cpu_us")):
                    ratios = [
                        sum(b["cases"][case].get(f, math.nan) for f in figure)
                        / max(1e-9, sum(a["cases"][case].get(f, math.nan) for f in figure))
                        for a, b in pairs
                    ]
                    cells.append(f"{_median(ratios):.2f}x")
            lines.append(f"| {case} | " + " | ".join(cells) + " |")
    lines.append("")
    for label, memory in report["memory"].items():
        size = int(memory["applications"])
        lines.append(
            f"memory, {label}: {memory['keys_bytes_no_once'] / size:.0f} B per application "
            f"(event keys without once keys; used_memory {memory['used_memory'] / size:.0f} B);"
            f" by key: {memory['per_key']}"
        )
    for label, control_rounds in report["control"].items():
        cells = [
            f"{name} {_median([c[name] for c in control_rounds]):.2f}" for name in control_rounds[0]
        ]
        lines.append(f"control, {label} (store us per call): " + ", ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.staff_pages")
    parser.add_argument("--applications", default="100000,1000000")
    parser.add_argument("--targets", default="liveevent,liveevent-base")
    parser.add_argument("--base-max", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="0: only fill, and memory")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--base-requests", type=int, default=2)
    parser.add_argument("--base-rounds", type=int, default=1)
    parser.add_argument(
        "--base-cases",
        default="unfiltered, first page;job + contacted, first page;activity",
        help="the base's cases, ';' between them (first pages and activity; '' for all): "
        "its pages read the whole stream, seconds each at 1,000,000",
    )
    parser.add_argument("--keep", help="keep the filled stores here, and reuse them")
    parser.add_argument("--attribution", action="store_true", help="fill with city, channel")
    parser.add_argument("--control", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--control-count", type=int, default=CONTROL_COUNT, help="steps a loop")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    print(table(report))
    if args.json:
        save(report, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
