"""liveevent nodes as real processes (``liveevent serve``), so a test can kill one with -9."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from liveevent.config import Settings
from liveevent.store.embedded import free_port


class NodeProcess:
    """``python -m liveevent.cli serve`` on a loopback port, sharing a test's store and prefix."""

    def __init__(self, settings: Settings, data_dir: Path, *, name: str, **env: str) -> None:
        assert settings.redis_url is not None or settings.redis_cluster_nodes
        self.port = free_port()
        self.name = name
        self.log_path = data_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "LIVEEVENT_KEY_PREFIX": settings.key_prefix,
            "LIVEEVENT_ADMIN_TOKEN": settings.admin_token.reveal() if settings.admin_token else "",
            "LIVEEVENT_NODE_ID": name,
            "LIVEEVENT_VIEWERS_INTERVAL_S": str(settings.viewers_interval_s),
            "LIVEEVENT_NODE_TTL_S": str(settings.node_ttl_s),
            "LIVEEVENT_APPLY_RATE_PER_IP": str(settings.apply_rate_per_ip),
            **env,
        }
        self.url_store = settings.redis_url.reveal() if settings.redis_url else ""
        if settings.redis_cluster_nodes:
            self.env["LIVEEVENT_REDIS_CLUSTER_NODES"] = ",".join(settings.redis_cluster_nodes)
        self.data_dir = data_dir / name
        self.child: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout_s: float = 20.0) -> None:
        command = [sys.executable, "-m", "liveevent.cli", "serve", "--port", str(self.port)]
        command += ["--data-dir", str(self.data_dir)]
        if self.url_store:
            command += ["--redis-url", self.url_store]
        with self.log_path.open("ab") as log:
            self.child = subprocess.Popen(  # noqa: ASYNC220 - returns at once; polled below
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = asyncio.get_running_loop().time() + timeout_s
        async with aiohttp.ClientSession() as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(self.url + "/healthz") as resp:
                        if resp.status == 200:
                            return
                if self.child.poll() is not None or asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"node {self.name} did not start: {self.log()}")
                await asyncio.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to viewers, no cleanup in the store."""
        if self.child is not None and self.child.poll() is None:
            self.child.kill()
            self.child.wait()

    def terminate(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    async def wait(self, timeout_s: float = 20.0) -> int:
        assert self.child is not None
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.child.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"node {self.name} did not exit")
            await asyncio.sleep(0.05)
        return self.child.returncode
