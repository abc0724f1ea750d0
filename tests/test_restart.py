"""kill -9 of the server and its embedded store mid-event, then a restart: nothing lost.

Runs ``liveevent serve`` as a real process on its own data dir (embedded Valkey, appendfsync
always + WAITAOF), applies steadily from many clients, kills both processes with SIGKILL while
applications are in flight, restarts on the same data dir and checks that every application
that was acknowledged is still there (and was stored once).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from liveevent.store.embedded import free_port
from tests.support import ADMIN_TOKEN, JOBS

pytestmark = pytest.mark.slow


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEEVENT_")}
    env["LIVEEVENT_ADMIN_TOKEN"] = ADMIN_TOKEN
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "liveevent.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def listen_queue(port: int) -> int | None:
    """The accept queue length the kernel gives a listening socket (``ss``: Send-Q)."""
    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[2]) if len(out) > 2 else None


def _somaxconn() -> int:
    return int(Path("/proc/sys/net/core/somaxconn").read_text())


async def wait_healthy(session: aiohttp.ClientSession, url: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{url}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("server did not become healthy")


async def test_kill_dash_nine_loses_no_acknowledged_application(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    server = start_server(tmp_path, port)
    acknowledged: dict[str, str] = {}  # phone -> application id
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url)
            assert listen_queue(port) in (4096, _somaxconn())  # not aiohttp's default of 128
            async with session.post(
                f"{url}/api/events", json={"title": "崩溃演练"}, headers=admin
            ) as resp:
                event: dict[str, Any] = await resp.json()
            staff = {"Authorization": f"Bearer {event['staff_token']}"}
            async with session.post(
                f"{url}/api/events/{event['id']}/jobs", json=JOBS, headers=staff
            ) as resp:
                assert resp.status == 201

            stop = asyncio.Event()

            async def applicant(worker: int) -> None:
                n = 0
                while not stop.is_set():
                    phone = f"13{worker:03d}{n:06d}"
                    n += 1
                    try:
                        async with session.post(
                            f"{url}/api/events/{event['id']}/applications",
                            json={"job_id": "j1", "name": "压测", "phone": phone},
                        ) as resp:
                            if resp.status == 201:
                                acknowledged[phone] = (await resp.json())["application_id"]
                    except (TimeoutError, aiohttp.ClientError):
                        await asyncio.sleep(0.01)

            workers = [asyncio.create_task(applicant(w)) for w in range(20)]
            while len(acknowledged) < 300:  # noqa: ASYNC110 - polling a plain dict is clearest
                await asyncio.sleep(0.01)
            store = json.loads((tmp_path / "store" / "server.json").read_text())
            # Both at once, mid-stream: the app and its store die with writes in flight.
            os.kill(server.pid, signal.SIGKILL)
            os.kill(store["pid"], signal.SIGKILL)
            server.wait()
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.gather(*workers)
            assert len(acknowledged) >= 300

            server = start_server(tmp_path, port)
            await wait_healthy(session, url)
            async with session.get(
                f"{url}/api/events/{event['id']}/export/applications.csv?form=raw", headers=staff
            ) as resp:
                text = (await resp.text()).lstrip("\ufeff")
            stored: dict[str, list[str]] = {}
            for line in text.splitlines()[1:]:
                cells = line.split(",")
                stored.setdefault(cells[5], []).append(cells[0])
            lost = [p for p in acknowledged if p not in stored]
            duplicated = [p for p, ids in stored.items() if len(ids) > 1]
            assert lost == [] and duplicated == []
            assert all(stored[p] == [i] for p, i in acknowledged.items())
            # And it takes new applications after the restart.
            async with session.post(
                f"{url}/api/events/{event['id']}/applications",
                json={"job_id": "j2", "name": "复工", "phone": "13900000000"},
            ) as resp:
                assert resp.status == 201
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
