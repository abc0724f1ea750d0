"""The notifier's drain rate: N due reminders leave the outbox for a local webhook (issue 17).

    python -m benchmarks.notify_bench [--notices 10000] [--rounds 3] [--concurrency 32]
                                      [--json FILE]

Both processes run on uvloop, as ``liveevent serve`` does. Each round starts a fresh
embedded store (the real one: Valkey with ``appendfsync always``),
fills the outbox with ``--notices`` reminders already due (``Outbox.enqueue``, as sign-ups do),
then starts one real ``Notifier`` (the app's sender: the mover, the consumer-group reader, one
signed POST per notice, the outcome script per notice) against a receiver in a child process
(aiohttp, checking every signature and counting distinct idempotency keys). The clock runs
from the notifier's start until the receiver holds every key and the outbox is empty. The
target is >= 500 notices/s; the figure kept is the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from liveevent.domain import notices
from liveevent.domain.notices import Notice, NoticeKind
from liveevent.store.embedded import EmbeddedStore, free_port
from liveevent.store.opening import connect
from liveevent.store.outbox import Outbox
from liveevent.web.notifier import Notifier

SECRET = b"benchmark-secret"


def serve_receiver(port: int) -> None:
    """The receiver (child process): POST /hook checks the signature and counts keys."""
    keys: set[str] = set()
    total = [0, 0]  # deliveries, bad signatures

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if not notices.verify(
            SECRET,
            timestamp=request.headers.get(notices.TIMESTAMP_HEADER, ""),
            body=body,
            signature=request.headers.get(notices.SIGNATURE_HEADER, ""),
            now_s=time.time(),
        ):
            total[1] += 1
            return web.json_response({"error": "bad signature"}, status=401)
        keys.add(request.headers[notices.IDEMPOTENCY_HEADER])
        total[0] += 1
        return web.json_response({"ok": True})

    async def count(_: web.Request) -> web.Response:
        return web.json_response({"distinct": len(keys), "total": total[0], "bad": total[1]})

    async def reset(_: web.Request) -> web.Response:
        keys.clear()
        total[0] = total[1] = 0
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    app.router.add_get("/count", count)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=_new_loop())


def _new_loop() -> asyncio.AbstractEventLoop:
    # The server runs on uvloop (liveevent/serve.py); so do both sides here.
    import uvloop

    return uvloop.new_event_loop()


async def one_round(
    url: str, receiver: str, count: int, concurrency: int, session: aiohttp.ClientSession
) -> dict[str, float]:
    conn = await connect(
        url, key_prefix=f"bench-{time.time_ns()}", timeout_s=5, waitaof_timeout_ms=2000
    )
    try:
        outbox = Outbox(conn)
        now = int(time.time() * 1000)
        batch = [
            Notice(
                key=f"rem:bench:{i:06d}:live",
                event_id="bench",
                kind=NoticeKind.LIVE,
                recipient=f"139{i:08d}",
                payload=notices.reminder_payload(
                    title="退役军人专场招聘会",
                    starts_at_iso="2026-12-01 19:30",
                    viewer_url="https://fair.example.edu.cn/e/bench",
                    name="李秀英",
                    label="live",
                ),
                due_at=now,
                created_at=now,
            )
            for i in range(count)
        ]
        filled = time.perf_counter()
        await outbox.enqueue(batch)
        fill_s = time.perf_counter() - filled
        await session.post(receiver + "/reset")
        sender = Notifier(
            outbox,
            url=receiver + "/hook",
            secret=SECRET,
            consumer="bench",
            concurrency=concurrency,
            poll_s=0.05,
        )
        started, cpu = time.perf_counter(), time.process_time()
        await sender.start()
        while True:
            async with session.get(receiver + "/count") as resp:
                seen = await resp.json()
            if seen["distinct"] >= count and await outbox.pending() == 0:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
        await sender.stop()
        return {
            "notices_per_s": count / elapsed,
            "seconds": elapsed,
            # The sender's own CPU per notice (its process: the notifier and this poll loop):
            # what the rate would be on a core of its own, whatever else the machine runs.
            "sender_cpu_ms_per_notice": cpu_s * 1000 / count,
            "fill_s": fill_s,
            "distinct": seen["distinct"],
            "deliveries": seen["total"],
            "bad_signatures": seen["bad"],
        }
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> list[dict[str, float]]:
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.notify_bench", "--receiver", str(port)
    )
    receiver = f"http://127.0.0.1:{port}"
    results = []
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(receiver + "/count"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            for number in range(args.rounds):
                with tempfile.TemporaryDirectory() as data:
                    store = EmbeddedStore(Path(data))
                    url = await store.start()
                    try:
                        result = await one_round(
                            url, receiver, args.notices, args.concurrency, session
                        )
                    finally:
                        await store.stop()
                results.append(result)
                print(
                    f"round {number + 1}: {result['notices_per_s']:.0f} notices/s "
                    f"({args.notices} in {result['seconds']:.2f} s; fill {result['fill_s']:.2f} s;"
                    f" distinct {result['distinct']:.0f}, deliveries {result['deliveries']:.0f};"
                    f" sender CPU {result['sender_cpu_ms_per_notice']:.2f} ms/notice)",
                    flush=True,
                )
    finally:
        child.terminate()
        await child.wait()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notify_bench")
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        serve_receiver(args.receiver)
        return 0
    import uvloop

    results = uvloop.run(run(args))
    median = statistics.median(r["notices_per_s"] for r in results)
    print(f"median of {len(results)}: {median:.0f} notices/s (target >= 500)")
    if args.json:
        args.json.write_text(json.dumps({"rounds": results, "median_per_s": median}, indent=2))
    return 0 if median >= 500 else 1


if __name__ == "__main__":
    raise SystemExit(main())
