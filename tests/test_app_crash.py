"""kill -9 of the app (``liveevent serve`` in a subprocess) during ingest, then a restart.

Resent applications land exactly once, and viewers reconnect and resume from their cursor.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from liveevent.config import Settings
from liveevent.store.embedded import free_port
from tests.ledger import Ledger
from tests.reliability.support import ApplyStream, ValkeyProcess, Watcher
from tests.support import ADMIN_TOKEN, LiveServer, eventually


class ServeProcess:
    """``liveevent serve`` as a child process on a fixed port."""

    def __init__(self, store_url: str, data_dir: Path, prefix: str) -> None:
        self.port = free_port()
        self.store_url = store_url
        self.data_dir = data_dir
        self.prefix = prefix
        self.child: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        """Start and wait for ``/healthz``; returns the seconds it took."""
        exe = shutil.which("liveevent", path=str(Path(sys.executable).parent))
        command = [exe] if exe else [sys.executable, "-m", "liveevent.cli"]
        env = dict(
            os.environ,
            LIVEEVENT_ADMIN_TOKEN=ADMIN_TOKEN,
            LIVEEVENT_KEY_PREFIX=self.prefix,
            LIVEEVENT_APPLY_RATE_PER_IP="0",
            LIVEEVENT_STORE_TIMEOUT_S="1",
        )
        started = time.monotonic()
        with (self.data_dir / "serve.log").open("ab") as log:
            self.child = subprocess.Popen(  # noqa: ASYNC220 - returns at once
                [
                    *command,
                    "serve",
                    "--port",
                    str(self.port),
                    "--redis-url",
                    self.store_url,
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=log,
                stderr=log,
                env=env,
            )
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        if resp.status == 200:
                            return time.monotonic() - started
                except aiohttp.ClientError:
                    pass
                if self.child.poll() is not None:
                    raise RuntimeError((self.data_dir / "serve.log").read_text())
                await asyncio.sleep(0.05)
        raise RuntimeError("liveevent serve did not come up")

    def kill(self) -> None:
        if self.child is not None and self.child.poll() is None:
            os.kill(self.child.pid, signal.SIGKILL)
            self.child.wait()


@pytest.mark.slow
async def test_app_crash_resends_land_once_and_viewers_resume(
    valkey: Callable[..., Awaitable[ValkeyProcess]], tmp_path: Path
) -> None:
    store = await valkey()
    app = ServeProcess(store.url, tmp_path, f"crash-{uuid.uuid4().hex[:8]}")
    client = LiveServer(Settings(), port=app.port)  # only its HTTP helpers, against the child
    client.session = aiohttp.ClientSession()
    try:
        first_start = await app.start()
        event = await client.create_event()
        await client.push(event, "j1")
        viewers = [
            Watcher(await client.session.ws_connect(f"{client.url}/ws/events/{event.id}"))
            for _ in range(20)
        ]
        for viewer in viewers:
            await viewer.next_of("hello")
        ledger = Ledger()
        stream = ApplyStream(client.url, event.id, ledger, workers=16)
        task = asyncio.create_task(stream.run())
        assert await eventually(lambda: len(stream.acks) >= 50, 10.0), "the stream never got going"

        app.kill()
        killed = time.monotonic()
        await asyncio.gather(*(v.task for v in viewers))
        cursors = [_last_cursor(v) for v in viewers]
        restart = await app.start()
        back = time.monotonic()
        missed = await client.push(event, "j2")  # pushed while the viewers are away

        resumed = []
        for cursor in cursors:
            path = f"{client.url}/ws/events/{event.id}?since={cursor}"
            resumed.append(Watcher(await client.session.ws_connect(path)))
        for viewer in resumed:
            hello = await viewer.next_of("hello")
            assert hello["resumed"] is True, hello
            card = await viewer.next_of("card")
            assert card["card"]["card_id"] == missed["card_id"]
        live = await client.push(event, "j3")
        for viewer in resumed:
            card = await viewer.next_of("card")
            assert card["card"]["card_id"] == live["card_id"]
            await viewer.close()

        # Some more writes acknowledged after the recovery, then stop.
        more = len(stream.acks) + 20
        assert await eventually(lambda: len(stream.acks) >= more, 10.0)
        stream.stop()
        await task
        report = await ledger.check(store.url, app.prefix, event.id)
        first = stream.first_ack_after(back)
        print(
            f"\napp crash: {report.summary()}; start {first_start:.2f} s, restart to healthy "
            f"{restart:.2f} s; down {back - killed:.2f} s; first ack "
            f"{first - back if first else -1:.2f} s after healthy; {stream.errors}"
        )
        assert report.lost == [] and report.duplicated == [], report.summary()
        assert report.unexpected == [] and report.mismatched == [], report.summary()
        assert report.acknowledged == report.attempted
    finally:
        app.kill()
        await client.session.close()


def _last_cursor(viewer: Watcher) -> str:
    return str(next(m["cursor"] for m in reversed(viewer.messages) if m.get("cursor")))
