"""Fill a store with applications quickly, through the store's own classes (not a test).

    python -m benchmarks.fill_store --data-dir DIR --applications 1000000 [--start 0]
                                    [--event bench] [--key-prefix le] [--url redis://...]
                                    [--span-s 10800] [--attribution]

Starts (or re-attaches to) the embedded store of ``DIR`` (or uses ``--url``), creates the event
``--event`` with 50 jobs if it is not there (staff token ``STAFF_TOKEN``, host token
``HOST_TOKEN``), and adds applications ``--start`` .. ``--applications - 1`` through
``ApplicationLog.apply_batch``: the real APPLY script, in batches of 5,000 pipelined as the
ingest does, so the store holds exactly what real applies leave (the stream, dedupe and
application indexes, counters and whatever indexes the script keeps). 5% of the applications are
then moved to ``contacted`` and 1% to ``hired`` (``status_of``) through
``ApplicationLog.change_status`` (the real STATUS script), 64 at a time. Application ``n`` is
applied to job ``j{n % 50}`` at ``t0 + n * span / applications``: whatever their number, the
applications of a fill span the same broadcast (``--span-s``, default 3 h, a fair's length), so
the activity chart has the same number of minutes at every size (its answer is one bucket per
minute of the broadcast: it grows with the broadcast's length, not with the applications).
With ``--attribution`` every application also carries a ``city`` (one of 8) and a ``channel``
(one of 4), the optional fields of issue 16, to measure what they cost in memory; leave it out
for a checkout older than those fields. About 25 s per 100,000 on the development machine,
statuses included.

It prints one JSON line: ``{"applications", "fill_s", "used_memory", "keys_bytes",
"keys_bytes_no_once", "per_key"}``, the store's ``used_memory`` and the ``MEMORY USAGE`` of the
event's keys (``SAMPLES 0``: exact), in bytes, with and without the once keys that status
changes leave for ``once_ttl_s`` (they expire).

It uses only calls that every version of the store classes since issue 9 has, so that the
benchmark can run it with an older checkout first on ``PYTHONPATH`` (``liveevent-base``) and
fill that version's store the way that version's applies would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from liveevent.domain.applications import ApplyRequest, Status
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.errors import NotFound
from liveevent.store.applications import ApplicationLog, PendingApply
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.events import EventStore

try:
    from liveevent.store.opening import connect as open_store
except ImportError:  # a checkout older than store/opening.py (liveevent-base): one server only
    from liveevent.store.connect import open_store

JOBS = 50
BATCH = 5000
STATUS_AT_ONCE = 64
STAFF_TOKEN = "bench-staff-token-0123456789abcdef"
HOST_TOKEN = "bench-host-token-0123456789abcdef"
T0_MS = 1_767_222_000_000  # 2026-01-01 07:00 +08:00, a morning broadcast
SPAN_S = 3 * 3600  # a fair's broadcast
CITIES = ("上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "西安")
CHANNELS = ("douyin", "wechat", "kuaishou", "site")


def status_of(n: int) -> Status | None:
    """The status the fill gives application number ``n`` (0-based), None = applied.

    1% hired and 5% contacted, of all and of every job alike: ``n // JOBS + n`` runs through
    every residue for the applications of one job (``n = JOBS * m + j`` gives ``51 m + j``, and
    51 is prime to 20 and 100), so filtering by a job and a status finds a page. (Until
    2026-11-30 it was ``n % 100 == 7`` and ``n % 20 == 0``: job ``j7``, the benchmark's, then
    had no ``contacted`` application at all.)
    """
    mixed = n // JOBS + n
    if mixed % 100 == 7:
        return Status.HIRED
    if mixed % 20 == 0:
        return Status.CONTACTED
    return None


def request_body(n: int, *, attribution: bool) -> dict[str, str]:
    """The apply body of application number ``n`` (0-based): its job, name and phone, and with
    ``attribution`` a city and a channel."""
    body = {"job_id": f"j{n % JOBS}", "name": f"应聘者{n}", "phone": f"13{n:09d}"}
    if attribution:
        body["city"] = CITIES[n % len(CITIES)]
        body["channel"] = CHANNELS[n % len(CHANNELS)]
    return body


async def fill(
    url: str,
    *,
    prefix: str,
    event_id: str,
    start: int,
    count: int,
    quiet: bool = False,
    span_s: int = SPAN_S,
    attribution: bool = False,
) -> dict[str, Any]:
    conn = await open_store(url, key_prefix=prefix, timeout_s=60.0, waitaof_timeout_ms=60_000)
    events, log = EventStore(conn), ApplicationLog(conn)
    try:
        await events.event_view(event_id)
    except NotFound:
        event = LiveEvent.parse({"title": "基准测试专场"}, event_id=event_id, now=T0_MS)
        await events.create_event(event, {"staff": STAFF_TOKEN, "host": HOST_TOKEN})
        jobs = [
            Job(id=f"j{n}", employer=f"用人单位{n % 17}", title=f"岗位{n}", openings=10)
            for n in range(JOBS)
        ]
        await events.upsert_jobs(event_id, jobs)
        await events.set_state(event_id, EventState.LIVE, now=T0_MS)
        await events.push_card(event_id, "j0", card_id="c0", pushed_at=T0_MS)
    step_ms = span_s * 1000 / max(count, 1)
    started = time.perf_counter()
    for first in range(start, count, BATCH):
        batch = [
            PendingApply(
                event_id=event_id,
                request=ApplyRequest.parse(request_body(n, attribution=attribution)),
                via="http",
                now=T0_MS + int(step_ms * n),
            )
            for n in range(first, min(first + BATCH, count))
        ]
        results = await log.apply_batch(batch)
        ids = [getattr(r, "application_id", None) for r in results]
        if any(i is None for i in ids):
            raise SystemExit(f"the fill failed: {results[0]!r}")
        changes = [
            (str(app_id), target)
            for n, app_id in zip(range(first, first + len(batch)), ids, strict=True)
            if (target := status_of(n)) is not None
        ]
        for at in range(0, len(changes), STATUS_AT_ONCE):
            await asyncio.gather(
                *(
                    log.change_status(event_id, app_id, target, by="staff", now=T0_MS)
                    for app_id, target in changes[at : at + STATUS_AT_ONCE]
                )
            )
        if not quiet:
            print(f"\rfilled {first + len(batch):,}", end="", file=sys.stderr)
    if not quiet:
        print(file=sys.stderr)
    took = time.perf_counter() - started
    client = conn.reader
    per_key: dict[str, int] = {}
    async for key in client.scan_iter(match=f"{prefix}:{{{event_id}}}:*", count=1000):
        name = key.decode() if isinstance(key, bytes) else str(key)
        per_key[name] = int(await client.memory_usage(name, samples=0) or 0)
    info = await client.info("memory")
    await conn.close()
    once = sum(size for name, size in per_key.items() if ":once:" in name)
    grouped: dict[str, int] = {}
    for name, size in per_key.items():
        kind = name.split("}:", 1)[1]
        kind = "once" if kind.startswith("once:") else kind.split(":")[0]
        grouped[kind] = grouped.get(kind, 0) + size
    return {
        "applications": count,
        "fill_s": round(took, 1),
        "used_memory": int(info["used_memory"]),
        "keys_bytes": sum(per_key.values()),
        "keys_bytes_no_once": sum(per_key.values()) - once,
        "per_key": grouped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fill_store")
    parser.add_argument("--data-dir", type=Path, help="embedded store of this data dir")
    parser.add_argument("--url", help="an external store instead")
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--start", type=int, default=0, help="first application number")
    parser.add_argument("--event", default="bench")
    parser.add_argument("--key-prefix", default="le")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--span-s", type=int, default=SPAN_S, help="the broadcast's length")
    parser.add_argument("--attribution", action="store_true", help="with city and channel")
    args = parser.parse_args(argv)
    if (args.url is None) == (args.data_dir is None):
        parser.error("give one of --data-dir and --url")

    async def run() -> dict[str, Any]:
        # Left running: the server of that data dir re-attaches to it (or already uses it).
        url = args.url or await EmbeddedStore(args.data_dir).start(timeout_s=30.0)
        return await fill(
            url,
            prefix=args.key_prefix,
            event_id=args.event,
            start=args.start,
            count=args.applications,
            quiet=args.quiet,
            span_s=args.span_s,
            attribution=args.attribution,
        )

    print(json.dumps(asyncio.run(run())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
