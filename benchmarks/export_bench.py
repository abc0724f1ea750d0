"""Export benchmark: 1,000,000 applications through ``liveevent export`` (not a timed test).

    python -m benchmarks.export_bench [--applications 1000000] [--format csv|xlsx]

Fills a fresh embedded store (in a temporary data dir) with applications through the store
layer's own batched path (``ApplicationLog.apply_batch``: the APPLY script, dedupe and
counters, pipelined), then runs the CLI's export in this process and reports rows/s and the
growth of peak memory during the export: the peak RSS (VmHWM, reset through
/proc/self/clear_refs just before) minus the RSS before it. Writes nothing into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from liveevent.cli import main as cli_main
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.cards import JobCard
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.connect import open_store
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.events import EventStore

EVENT = "bench"
JOBS = 50
BATCH = 5000


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


async def fill(data_dir: Path, count: int) -> float:
    """Start the embedded store and add ``count`` applications; returns seconds taken."""
    url = await EmbeddedStore(data_dir).start()  # left running: the export re-attaches to it
    conn = await open_store(url, key_prefix="le", timeout_s=30.0, waitaof_timeout_ms=30_000)
    events, log = EventStore(conn), ApplicationLog(conn)
    await events.create_event(
        LiveEvent.parse({"title": "基准测试专场"}, event_id=EVENT, now=0), {"staff": "x"}
    )
    jobs = [
        Job(id=f"j{n}", employer=f"用人单位{n % 17}", title=f"岗位{n}", openings=10)
        for n in range(JOBS)
    ]
    await events.upsert_jobs(EVENT, jobs)
    await events.set_state(EVENT, EventState.LIVE, now=1)
    started = time.perf_counter()
    now = int(time.time() * 1000)
    for first in range(0, count, BATCH):
        if first % (count // 10 or 1) < BATCH:
            job = jobs[(first // BATCH) % JOBS]
            await events.push_card(EVENT, JobCard(f"c{first}", job, now + first))
        batch = [
            PendingApply(
                event_id=EVENT,
                request=ApplyRequest.parse(
                    {"job_id": f"j{n % JOBS}", "name": f"应聘者{n}", "phone": f"13{n:09d}"}
                ),
                via="http",
                now=now + n,
            )
            for n in range(first, min(first + BATCH, count))
        ]
        results = await log.apply_batch(batch)
        if any(not hasattr(r, "application_id") for r in results):
            raise SystemExit(f"the fill failed: {results[0]!r}")
        print(f"\rfilled {first + len(batch):,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    await conn.close()
    return time.perf_counter() - started


async def stop(data_dir: Path) -> None:
    store = EmbeddedStore(data_dir)
    await store.start()
    await store.stop()


def run(count: int, fmt: str, table: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="liveevent-export-bench-") as tmp:
        data_dir = Path(tmp)
        out = data_dir / f"export.{fmt}"
        seconds = asyncio.run(fill(data_dir, count))
        print(f"fill: {count:,} applications in {seconds:.1f} s ({count / seconds:,.0f}/s)")
        try:
            rss_before = _status_kib("VmRSS")
            exact = _reset_peak()
            started = time.perf_counter()
            argv = ["export", "--event", EVENT, "--format", fmt, "--out", str(out)]
            argv += ["--data-dir", str(data_dir)] + (["--table", table] if table else [])
            code = cli_main(argv)
            seconds = time.perf_counter() - started
            peak = _status_kib("VmHWM")
        finally:
            asyncio.run(stop(data_dir))
        if code != 0:
            raise SystemExit(f"the export failed with exit status {code}")
        size = out.stat().st_size
        print(f"export ({fmt}): {count:,} rows in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
        print(f"file: {size / 1e6:.1f} MB")
        how = "VmHWM after clear_refs" if exact else "VmHWM since start (no clear_refs)"
        print(
            f"memory: RSS before {rss_before / 1024:.1f} MiB, peak during export "
            f"{peak / 1024:.1f} MiB ({how}), growth {(peak - rss_before) / 1024:.1f} MiB"
        )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--table", choices=("applications", "hires", "pushes"))
    args = parser.parse_args()
    run(args.applications, args.format, args.table)


if __name__ == "__main__":
    main()
