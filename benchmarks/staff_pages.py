"""Staff pages at a million applications: list pages and ``/activity`` (issue 15, part 1).

    python -m benchmarks.staff_pages [--applications 100000,1000000]
                                     [--targets liveevent,liveevent-base] [--base-max 100000]
                                     [--requests 100] [--base-requests 10] [--json FILE]

For each target (``liveevent``; ``liveevent-base``, an earlier commit checked out at
``LIVEEVENT_BASE_DIR``, when that is set) it starts the real server with its embedded store,
fills the store through that version's own store classes (``benchmarks/fill_store.py``, run
with the target's code first on ``PYTHONPATH``: one event, 50 jobs, 5% ``contacted`` and 1%
``hired``) up to each size in turn, and at each size times, over HTTP with a staff token:

- the list, unfiltered, by job, by status (``contacted``, and ``applied``: nearly all of
  them), by job and status (both statuses), each at its first page and its last (``offset`` =
  total - 50), 50 rows a page;
- ``GET /activity``, and (where the target has it) ``GET /activity?since=`` with the
  ``since`` of that answer, as a staff page polls it.

Each case is requested ``--requests`` times in a row after two unmeasured ones (``--base-requests``
for the base, whose scans take most of a second each at 100,000 applications, and only up to
``--base-max`` applications); the table gives p50 and p99 in ms, and for liveevent the cost at
the largest size over the cost at the smallest (p50 over p50). Then the store's memory per
application (``MEMORY USAGE`` of the event's keys, once keys excluded: see ``fill_store``).
No pinning: run it on a quiet machine for figures to keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

import aiohttp

from benchmarks import osinfo, targets
from benchmarks.fill_store import STAFF_TOKEN

EVENT = "bench"
LIMIT = 50
CASES: list[tuple[str, dict[str, str]]] = [
    ("unfiltered", {}),
    ("job", {"job_id": "j7"}),
    ("status contacted", {"status": "contacted"}),
    ("status applied", {"status": "applied"}),
    ("job + contacted", {"job_id": "j7", "status": "contacted"}),
    ("job + applied", {"job_id": "j7", "status": "applied"}),
]


async def fill(target: targets.Target, start: int, count: int) -> dict[str, Any]:
    """Fill the target's store from application ``start`` up to ``count``; the fill's report."""
    data_dir = target._workdir / "data"  # the data dir its ``serve`` was given
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(osinfo.REPO_ROOT / "benchmarks" / "fill_store.py"),
        "--data-dir",
        str(data_dir),
        "--applications",
        str(count),
        "--start",
        str(start),
        "--event",
        EVENT,
        "--quiet",
        cwd=target.workdir,
        env=target.environment(),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the fill of {target.name} failed (exit {proc.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


async def timed(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], requests: int
) -> tuple[list[float], Any]:
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    times: list[float] = []
    body: Any = None
    for n in range(requests + 2):
        started = time.perf_counter()
        async with session.get(url, params=params, headers=headers) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise SystemExit(f"GET {url} {params} -> {resp.status}: {body}")
        if n >= 2:  # two unmeasured: connections and scripts warm
            times.append((time.perf_counter() - started) * 1000)
    return times, body


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(
    session: aiohttp.ClientSession, target: targets.Target, requests: int
) -> dict[str, dict[str, float]]:
    base = f"{target.base_url}/api/events/{EVENT}"
    results: dict[str, dict[str, float]] = {}
    for name, filters in CASES:
        first, body = await timed(
            session, f"{base}/applications", {**filters, "limit": str(LIMIT)}, requests
        )
        last_offset = max(0, int(body["total"]) - LIMIT)
        params = {**filters, "limit": str(LIMIT), "offset": str(last_offset)}
        last, _ = await timed(session, f"{base}/applications", params, requests)
        for page, times in (("first", first), ("last", last)):
            results[f"{name}, {page} page"] = {
                "p50": statistics.median(times),
                "p99": p(times, 0.99),
                "total": int(body["total"]),
            }
    times, body = await timed(session, f"{base}/activity", {}, requests)
    results["activity"] = {"p50": statistics.median(times), "p99": p(times, 0.99)}
    if body.get("since") is not None:  # the poll of a staff page that has the chart already
        params = {"since": str(body["since"])}
        times, _ = await timed(session, f"{base}/activity", params, requests)
        results["activity, since="] = {"p50": statistics.median(times), "p99": p(times, 0.99)}
    return results


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in args.applications.split(",")]
    report: dict[str, Any] = {"sizes": sizes, "targets": {}}
    async with aiohttp.ClientSession() as session:
        for name in args.targets.split(","):
            if not targets.available(name):
                print(f"{name}: not available here, skipped", file=sys.stderr)
                continue
            base = name == "liveevent-base"
            target = targets.make(name)
            await target.start(None, session)
            runs: dict[str, Any] = {}
            report["targets"][name] = runs
            try:
                filled = 0
                for size in sizes:
                    if base and size > args.base_max:
                        print(f"{name}: {size:,} skipped (--base-max)", file=sys.stderr)
                        continue
                    memory = await fill(target, filled, size)
                    filled = size
                    print(f"{name}: filled {size:,} in {memory['fill_s']} s", file=sys.stderr)
                    requests = args.base_requests if base else args.requests
                    runs[str(size)] = {
                        "cases": await measure(session, target, requests),
                        "memory": memory,
                        "requests": requests,
                    }
            finally:
                await target.stop()
    return report


def table(report: dict[str, Any]) -> str:
    sizes = report["sizes"]
    lines = []
    for name, runs in report["targets"].items():
        lines.append(f"\n{name} (ms, p50 / p99)")
        done = [s for s in sizes if str(s) in runs]
        header = "| case | " + " | ".join(f"{s:,} apps" for s in done)
        if name == "liveevent" and len(done) > 1:
            header += f" | p50 {done[-1]:,} / {done[0]:,}"
        lines.append(header + " |")
        lines.append("|---" * (header.count("|")) + "|")
        for case in runs[str(done[0])]["cases"]:
            figures = [runs[str(s)]["cases"][case] for s in done]
            cells = [f"{f['p50']:.2f} / {f['p99']:.2f}" for f in figures]
            if name == "liveevent" and len(done) > 1:
                ratio = (
                    runs[str(done[-1])]["cases"][case]["p50"]
                    / runs[str(done[0])]["cases"][case]["p50"]
                )
                cells.append(f"{ratio:.2f}x")
            lines.append(f"| {case} | " + " | ".join(cells) + " |")
        for s in done:
            memory = runs[str(s)]["memory"]
            lines.append(
                f"memory at {s:,}: {memory['keys_bytes_no_once'] / s:.0f} B per application "
                f"(event keys without once keys; used_memory {memory['used_memory'] / s:.0f} B);"
                f" by key: {memory['per_key']}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.staff_pages")
    parser.add_argument("--applications", default="100000,1000000")
    parser.add_argument("--targets", default="liveevent,liveevent-base")
    parser.add_argument("--base-max", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--base-requests", type=int, default=10)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    print(table(report))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
