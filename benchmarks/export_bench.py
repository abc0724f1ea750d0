"""Export benchmark: 1,000,000 applications through ``liveevent export`` (not a timed test).

    python -m benchmarks.export_bench [--applications 1000000] [--format csv|xlsx] [--keep DIR]
                                      [--rounds 3]

Fills a fresh embedded store (in a temporary data dir) with applications through the store
layer's own batched path (``ApplicationLog.apply_batch``: the APPLY script, dedupe and
counters, pipelined), then runs the CLI's export in this process and reports rows/s and the
growth of peak memory during the export: the peak RSS (VmHWM, reset through
/proc/self/clear_refs just before) minus the RSS before it. Writes nothing into the repository.

The peer, measured in the same run, rounds interleaved: the CSV export most teams would write
(redis-py ``xrange`` pages of 1,000 and an ``hmget`` of their statuses, ``msgpack.unpackb``,
``csv.writer.writerow``; the same columns, with liveevent's cached timestamp formatting so
that it is not slowed by ``datetime``). It escapes no formulas, so it does less than liveevent.

The fill takes minutes; ``--keep DIR`` keeps the filled data dir there and, when DIR already
holds a fill of the same size, exports from it again without filling.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgpack
import redis.asyncio as aioredis

from liveevent.cli import main as cli_main
from liveevent.domain import values
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.office.export_tables import APPLICATION_COLUMNS
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.events import EventStore
from liveevent.store.opening import connect as open_store

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
            await events.push_card(EVENT, job.id, card_id=f"c{first}", pushed_at=now + first)
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


async def textbook(data_dir: Path, out: Path) -> int:
    """The peer: the export as most teams would write it; returns the rows written."""
    url = await EmbeddedStore(data_dir).start()
    conn = await open_store(url, key_prefix="le", timeout_s=30.0, waitaof_timeout_ms=30_000)
    jobs = {job.id: job for job in await EventStore(conn).jobs(EVENT)}
    await conn.close()
    client = aioredis.from_url(url)
    apps, current = f"le:{{{EVENT}}}:apps", f"le:{{{EVENT}}}:current"
    rows, after = 0, "-"
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(APPLICATION_COLUMNS)
        while entries := await client.xrange(apps, min=after, max="+", count=1000):
            ids = [fields[b"id"] for _sid, fields in entries]
            statuses = await client.hmget(current, ids)
            for (_sid, fields), status in zip(entries, statuses, strict=True):
                record = msgpack.unpackb(fields[b"d"])
                job = jobs.get(record["job_id"])
                writer.writerow(
                    [
                        fields[b"id"].decode(),
                        record["job_id"],
                        job.employer if job else "",
                        job.title if job else "",
                        record["name"],
                        record["phone"],
                        status.decode() if status else "applied",
                        values.iso(record["applied_at"]),
                        fields[b"card"].decode(),
                        record.get("consent"),
                        record.get("via", "http"),
                    ]
                )
            rows += len(entries)
            after = "(" + entries[-1][0].decode()
    await client.aclose()
    return rows


def liveevent_export(data_dir: Path, out: Path, fmt: str, table: str | None) -> float:
    """Runs ``liveevent export``; returns the growth of peak memory during it, in MiB."""
    rss_before = _status_kib("VmRSS")
    exact = _reset_peak()
    argv = ["export", "--event", EVENT, "--format", fmt, "--out", str(out)]
    argv += ["--data-dir", str(data_dir)] + (["--table", table] if table else [])
    if cli_main(argv) != 0:
        raise SystemExit("the export failed")
    if not exact:
        print("(no clear_refs: the memory figure is the peak since start)")
    return (_status_kib("VmHWM") - rss_before) / 1024


def run(count: int, fmt: str, table: str | None, keep: Path | None, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="liveevent-export-bench-") as tmp:
        data_dir = keep or Path(tmp)
        out = Path(tmp) / f"export.{fmt}"
        marker = data_dir / "bench-fill.txt"
        if keep and marker.exists() and marker.read_text() == str(count):
            print(f"fill: reusing {count:,} applications in {data_dir}")
        else:
            seconds = asyncio.run(fill(data_dir, count))
            print(f"fill: {count:,} applications in {seconds:.1f} s ({count / seconds:,.0f}/s)")
            if keep:
                marker.write_text(str(count))
        ours: list[float] = []
        peer: list[float] = []
        growth: list[float] = []
        try:
            for n in range(rounds):
                if fmt == "csv" and not table:
                    started = time.perf_counter()
                    rows = asyncio.run(textbook(data_dir, out))
                    peer.append(rows / (time.perf_counter() - started))
                    print(f"round {n + 1}: textbook export {peer[-1]:,.0f} rows/s")
                started = time.perf_counter()
                growth.append(liveevent_export(data_dir, out, fmt, table))
                ours.append(count / (time.perf_counter() - started))
                print(f"round {n + 1}: liveevent export {ours[-1]:,.0f} rows/s")
        finally:
            asyncio.run(stop(data_dir))
        size = out.stat().st_size
        print(
            f"\nexport ({fmt}) of {count:,} rows, median of {rounds} rounds, "
            f"file {size / 1e6:.1f} MB"
        )
        print(
            f"  liveevent: {statistics.median(ours):,.0f} rows/s (rounds: "
            + ", ".join(f"{r:,.0f}" for r in ours)
            + ")"
        )
        if peer:
            print(
                f"  textbook:  {statistics.median(peer):,.0f} rows/s (rounds: "
                + ", ".join(f"{r:,.0f}" for r in peer)
                + ")"
            )
            ratio = statistics.median(ours) / statistics.median(peer)
            print(f"  ratio liveevent/textbook: {ratio:.2f}x")
        print(
            f"  memory growth during liveevent's export: {max(growth):.1f} MiB at most "
            "(peak RSS, VmHWM after clear_refs, minus RSS before)"
        )
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--table", choices=("applications", "hires", "pushes"))
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the filled data dir here")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run(args.applications, args.format, args.table, args.keep, args.rounds)


if __name__ == "__main__":
    main()
