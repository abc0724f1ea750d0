"""Apply worker process: offer applications at a steady rate and time each acknowledgement.

Run by the controller as ``python -m benchmarks.applier CONFIG_JSON`` (see ``channel``).
Config: ``host, port, transport ("ws"|"http"), ws_path, http_path, job_id, rate (per second,
this worker's share), seconds, connections, index, source_ip, forwarded_for`` (HTTP: send
``X-Forwarded-For`` with that many distinct addresses, 0 for none).

Events: ``ready`` once the sockets are open; on ``{"cmd": "start"}`` it offers load for
``seconds`` (or until ``{"cmd": "stop"}``), waits up to 10 s for the stragglers, then writes
``report`` (latencies in microseconds, counts, the send window). Every application has a
unique phone, so none is a duplicate unless the server loses track.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from ipaddress import IPv4Address
from typing import Any

import aiohttp

from benchmarks import channel
from benchmarks.wsclient import ViewerConnection, open_viewer

_TICK_S = 0.005
_DRAIN_S = 10.0


class ApplyLoad:
    """The offered load and what came back; the sink for websocket acks too."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.sent = 0
        self.latencies_us: list[int] = []
        self.duplicates = 0
        self.errors: Counter[str] = Counter()
        self.pending: dict[str, int] = {}
        self.first_send_ns = 0
        self.last_ack_ns = 0
        self.lost_sockets = 0
        self.stopped = False

    def application(self, n: int) -> dict[str, str]:
        # 13 + worker digit + 8 digits: a valid mainland mobile number, unique per run.
        return {
            "job_id": self.cfg["job_id"],
            "name": f"压测观众{n}",
            "phone": f"13{self.cfg['index'] % 10}{n:08d}",
        }

    def acked(self, ref: str, t_ns: int, duplicate: bool) -> None:
        sent_at = self.pending.pop(ref, None)
        if sent_at is None:
            self.errors["ack for unknown ref"] += 1
            return
        self.latencies_us.append((t_ns - sent_at) // 1000)
        self.last_ack_ns = max(self.last_ack_ns, t_ns)
        self.duplicates += bool(duplicate)

    # wsclient.Sink --------------------------------------------------------------------------
    def message(self, conn: ViewerConnection, payload: bytes, t_ns: int) -> None:
        try:
            msg = json.loads(payload)
        except ValueError:
            self.errors["non-JSON frame"] += 1
            return
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "applied":
            self.acked(str(msg.get("ref")), t_ns, bool(msg.get("duplicate")))
        elif kind == "error":
            self.pending.pop(str(msg.get("ref")), None)
            self.errors[f"error {msg.get('code')}"] += 1

    def lost(self, conn: ViewerConnection, exc: Exception | None) -> None:
        self.lost_sockets += 1

    def report(self) -> dict[str, Any]:
        return {
            "event": "report",
            "sent": self.sent,
            "latencies_us": self.latencies_us,
            "duplicates": self.duplicates,
            "unacked": len(self.pending),
            "errors": dict(self.errors),
            "first_send_ns": self.first_send_ns,
            "last_ack_ns": self.last_ack_ns,
            "lost_sockets": self.lost_sockets,
            "cpu_s": channel.cpu_seconds(),
        }


async def offer(load: ApplyLoad, send: Any) -> None:
    """Call ``send(n, ref)`` at ``rate`` per second for ``seconds``, paced by the clock.

    Pacing by elapsed time (not by sleeping a fixed interval per apply) keeps the offered rate
    honest when a tick runs late: the next tick catches up.
    """
    rate, seconds = float(load.cfg["rate"]), float(load.cfg["seconds"])
    start = time.monotonic()
    load.first_send_ns = time.time_ns()
    total = int(rate * seconds)
    while load.sent < total and not load.stopped:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        while load.sent < due:
            load.sent += 1
            send(load.sent, f"{load.cfg['index']}-{load.sent}")
        await asyncio.sleep(_TICK_S)


async def run_ws(load: ApplyLoad, cfg: dict[str, Any]) -> None:
    conns = [
        await open_viewer(
            load, cfg["host"], cfg["port"], cfg["ws_path"], source_ip=cfg.get("source_ip")
        )
        for _ in range(cfg["connections"])
    ]
    channel.emit({"event": "ready", "connected": len(conns), "cpu_s": channel.cpu_seconds()})

    def send(n: int, ref: str) -> None:
        body = {"type": "apply", "ref": ref, **load.application(n)}
        load.pending[ref] = time.time_ns()
        conns[n % len(conns)].send_text(json.dumps(body, ensure_ascii=False).encode())

    await _serve(load, send)
    for conn in conns:
        conn.close()


FORWARDED_BASE = IPv4Address("198.18.0.0")


async def run_http(load: ApplyLoad, cfg: dict[str, Any]) -> None:
    url = f"http://{cfg['host']}:{cfg['port']}{cfg['http_path']}"
    connector = aiohttp.TCPConnector(
        limit=cfg["connections"],
        local_addr=(cfg["source_ip"], 0) if cfg.get("source_ip") else None,
    )
    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector) as session:
        spread = int(cfg.get("forwarded_for") or 0)
        offset = int(cfg.get("index", 0)) * 7919  # workers start at different addresses

        def headers(n: int) -> dict[str, str] | None:
            if not spread:
                return None
            # Addresses in 198.18.0.0/15 (RFC 2544, for benchmarks): up to 131,072 of them.
            return {"X-Forwarded-For": str(FORWARDED_BASE + (n + offset) % spread)}

        async def post(n: int, ref: str) -> None:
            load.pending[ref] = time.time_ns()
            try:
                async with session.post(url, json=load.application(n), headers=headers(n)) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status in (200, 201):
                        load.acked(ref, time.time_ns(), bool(body.get("duplicate")))
                        return
                    load.errors[f"HTTP {resp.status}"] += 1
            except (aiohttp.ClientError, ValueError) as exc:
                load.errors[type(exc).__name__] += 1
            load.pending.pop(ref, None)

        def send(n: int, ref: str) -> None:
            task = asyncio.create_task(post(n, ref))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        channel.emit(
            {"event": "ready", "connected": cfg["connections"], "cpu_s": channel.cpu_seconds()}
        )
        await _serve(load, send)
        for task in list(tasks):
            task.cancel()


async def _serve(load: ApplyLoad, send: Any) -> None:
    """Offer load on ``start``; ``stop`` ends the offer early (the report still follows)."""
    runs: list[asyncio.Task[None]] = []
    async for cmd in channel.commands():
        if cmd["cmd"] == "start":
            runs.append(asyncio.create_task(_offer_and_report(load, send)))
        elif cmd["cmd"] == "stop":
            load.stopped = True
    for run in runs:
        run.cancel()


async def _offer_and_report(load: ApplyLoad, send: Any) -> None:
    await offer(load, send)
    deadline = time.monotonic() + _DRAIN_S
    # Polled every 10 ms: cheaper than setting an Event on every ack for this one wait.
    while load.pending and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    channel.emit(load.report())


def main() -> int:
    cfg = json.loads(sys.argv[1])
    channel.raise_fd_limit()
    load = ApplyLoad(cfg)
    run = run_ws if cfg["transport"] == "ws" else run_http
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(load, cfg))
    else:
        uvloop.run(run(load, cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
