"""Push and apply through 1 node vs 3 nodes on one store, and what each costs the store.

Standalone (not part of ``python -m benchmarks``): starts its own Valkey (AOF, everysec, as
deploy/redis.md recommends) and ``liveevent serve`` processes, connects viewers spread
round-robin over the nodes, pushes cards through node 0 and applies through every node.
Store CPU comes from ``INFO cpu`` (used_cpu_user + used_cpu_sys) before and after each phase,
so it includes everything the nodes make the store do (tails, viewer counts, token checks).

    python benchmarks/multinode_bench.py --nodes 1,3 --viewers 900 --pushes 30 --applies 4000

Figures for docs/scaling.md. The viewers here are aiohttp clients on the same machine, so the
push latencies include the clients' own time; the store figures do not depend on that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import redis

from liveevent.store.embedded import free_port, valkey_binary

ADMIN = "bench-admin-token-0123456789"
JOBS = [{"id": f"j{i}", "employer": "京东物流", "title": f"岗位{i}"} for i in range(10)]


def start_valkey(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = directory / "valkey.conf"
    conf.write_text(
        f'bind 127.0.0.1\nport {port}\ndir "{directory}"\nappendonly yes\n'
        f'appendfsync everysec\nsave ""\nmaxmemory-policy noeviction\n'
    )
    process = subprocess.Popen([str(valkey_binary()), str(conf)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return process, port
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("valkey did not start")


def store_cpu_s(port: int) -> float:
    info = redis.Redis(port=port).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def commandstats(port: int) -> dict[str, tuple[int, int]]:
    raw = redis.Redis(port=port).info("commandstats")
    return {k.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"])) for k, v in raw.items()}


def stats_delta(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], per: int
) -> dict[str, str]:
    out = {}
    for name, (calls, usec) in after.items():
        c0, u0 = before.get(name, (0, 0))
        if calls - c0:
            out[name] = f"{(calls - c0) / per:.2f} calls, {(usec - u0) / per:.1f} us"
    return out


def start_nodes(count: int, store_port: int, directory: Path) -> list[tuple[Any, int]]:
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    nodes = []
    for index in range(count):
        port = free_port()
        env = {
            **os.environ,
            "LIVEEVENT_ADMIN_TOKEN": ADMIN,
            "LIVEEVENT_KEY_PREFIX": prefix,
            "LIVEEVENT_NODE_ID": f"node{index}",
            "LIVEEVENT_APPLY_RATE_PER_IP": "0",
            "LIVEEVENT_APPLY_RATE_PER_VIEWER": "0",
            "LIVEEVENT_MAX_SOCKETS_PER_IP": "100000",
        }
        command = [sys.executable, "-m", "liveevent.cli", "serve", "--port", str(port)]
        command += ["--redis-url", f"redis://127.0.0.1:{store_port}/0"]
        command += ["--data-dir", str(directory / f"node{index}")]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        nodes.append((process, port))
    return nodes


async def wait_healthy(session: aiohttp.ClientSession, port: int) -> None:
    for _ in range(200):
        try:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"node on {port} did not start")


async def call(session: aiohttp.ClientSession, method: str, url: str, token: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.request(method, url, json=body, headers=headers) as resp:
        return await resp.json()


async def run_layout(args: argparse.Namespace, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        valkey, store_port = start_valkey(directory)
        nodes = start_nodes(count, store_port, directory)
        connector = aiohttp.TCPConnector(limit=0)
        try:
            async with aiohttp.ClientSession(connector=connector) as session:
                return await measure(args, session, [port for _, port in nodes], store_port)
        finally:
            for process, _ in nodes:
                process.terminate()
            for process, _ in nodes:
                process.wait()
            valkey.terminate()
            valkey.wait()


async def measure(
    args: argparse.Namespace, session: aiohttp.ClientSession, ports: list[int], store: int
) -> dict[str, Any]:
    for port in ports:
        await wait_healthy(session, port)
    base = [f"http://127.0.0.1:{port}" for port in ports]
    event = await call(session, "POST", f"{base[0]}/api/events", ADMIN, {"title": "bench"})
    eid, host, staff = event["id"], event["host_token"], event["staff_token"]
    await call(session, "POST", f"{base[0]}/api/events/{eid}/jobs", staff, JOBS)
    await call(session, "POST", f"{base[0]}/api/events/{eid}/state", host, {"state": "live"})
    sockets = []
    for index in range(args.viewers):
        url = base[index % len(base)].replace("http", "ws") + f"/ws/events/{eid}"
        ws = await session.ws_connect(url)
        await ws.receive()
        sockets.append(ws)

    async def card_arrives(ws: aiohttp.ClientWebSocketResponse, card_id: str) -> float:
        while True:
            msg = await ws.receive(timeout=30)
            data = json.loads(msg.data)
            if data.get("type") == "card" and data["card"]["card_id"] == card_id:
                return time.perf_counter()

    # The store's own background work (cron, the nodes' viewer counts) while nothing else
    # happens: subtracted from each phase, which is what pushes and applies add to it.
    idle0 = store_cpu_s(store)
    await asyncio.sleep(3)
    idle_per_s = (store_cpu_s(store) - idle0) / 3

    latencies = []
    cpu0, cmd0 = store_cpu_s(store), commandstats(store)
    phase = time.perf_counter()
    for n in range(args.pushes):
        started = time.perf_counter()
        pushed = await call(
            session, "POST", f"{base[0]}/api/events/{eid}/cards", host, {"job_id": f"j{n % 10}"}
        )
        arrivals = await asyncio.gather(*(card_arrives(ws, pushed["card_id"]) for ws in sockets))
        latencies.append((max(arrivals) - started) * 1000)
    idle = idle_per_s * (time.perf_counter() - phase)
    push_cpu = (store_cpu_s(store) - cpu0 - idle) / args.pushes
    push_cmds = stats_delta(cmd0, commandstats(store), args.pushes)

    counter = iter(range(args.applies))
    memory0 = int(redis.Redis(port=store).info("memory")["used_memory"])
    cpu0, cmd0 = store_cpu_s(store), commandstats(store)
    started = time.perf_counter()

    async def applier(worker: int) -> None:
        for n in counter:
            body = {"job_id": f"j{n % 10}", "name": "张三", "phone": f"139{n:08d}"}
            url = f"{base[(worker + n) % len(base)]}/api/events/{eid}/applications"
            async with session.post(url, json=body) as resp:
                assert resp.status == 201, await resp.text()

    await asyncio.gather(*(applier(w) for w in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    apply_cpu = (store_cpu_s(store) - cpu0 - idle_per_s * elapsed) / args.applies
    apply_cmds = stats_delta(cmd0, commandstats(store), args.applies)
    memory = int(redis.Redis(port=store).info("memory")["used_memory"]) - memory0
    for ws in sockets:
        await ws.close()
    return {
        "nodes": len(ports),
        "viewers": args.viewers,
        "store_idle_cpu_ms_per_s": round(idle_per_s * 1000, 2),
        "push_ms_p50": round(statistics.median(latencies), 1),
        "push_ms_max": round(max(latencies), 1),
        "store_cpu_us_per_push": round(push_cpu * 1e6, 1),
        "store_commands_per_push": push_cmds,
        "applies_per_s": round(args.applies / elapsed),
        "store_cpu_us_per_apply": round(apply_cpu * 1e6, 1),
        "store_commands_per_apply": apply_cmds,
        "store_bytes_per_application": round(memory / args.applies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", default="1,3")
    parser.add_argument("--viewers", type=int, default=900)
    parser.add_argument("--pushes", type=int, default=30)
    parser.add_argument("--applies", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    for count in (int(n) for n in args.nodes.split(",")):
        print(json.dumps(asyncio.run(run_layout(args, count)), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
