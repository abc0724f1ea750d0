"""The controller <-> worker line protocol: one JSON object per line over the worker's stdio.

Workers are separate processes (so they can use their own CPU, file-descriptor budget and
source address) started with ``taskset``; plain pipes keep them independent of
multiprocessing's pickling and start methods. A worker writes ``{"event": ...}`` lines to
stdout and reads ``{"cmd": ...}`` lines from stdin; EOF on stdin means quit.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
from collections.abc import AsyncIterator
from typing import Any

from benchmarks import osinfo

# A worker's report carries every receipt timestamp (10,000 viewers x 20 pushes is ~4 MB).
_MAX_LINE_BYTES = 256 * 1024 * 1024


# worker side ---------------------------------------------------------------------------------
def emit(obj: dict[str, Any]) -> None:
    """Write one event line to the controller."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def commands() -> AsyncIterator[dict[str, Any]]:
    """Yield the controller's commands until it sends ``quit`` or closes stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_MAX_LINE_BYTES)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            return
        yield cmd


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one; return it (20,000 on the bench box)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds() -> float:
    """User + system CPU this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# controller side -----------------------------------------------------------------------------
class WorkerProcess:
    """A running worker: send commands, await its events, collect its ``done`` keys."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.done_keys: set[str] = set()
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(
        cls, name: str, module: str, config: dict[str, Any], cpus: list[int] | None
    ) -> WorkerProcess:
        argv = [sys.executable, "-m", module, json.dumps(config)]
        proc = await asyncio.create_subprocess_exec(
            *osinfo.pinned(argv, cpus),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=_MAX_LINE_BYTES,
            cwd=osinfo.REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(osinfo.REPO_ROOT)},
        )
        return cls(name, proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None  # spawned with stdout=PIPE
        while line := await self.proc.stdout.readline():
            obj = json.loads(line)
            if obj.get("event") == "done":
                self.done_keys.add(obj["key"])
            else:
                await self._events.put(obj)
        await self._events.put({"event": "exit", "returncode": await self.proc.wait()})

    async def expect(self, event: str, timeout_s: float) -> dict[str, Any]:
        """Return the next event line; raise ``RuntimeError`` if it is not ``event``."""
        async with asyncio.timeout(timeout_s):
            obj = await self._events.get()
        if obj.get("event") != event:
            raise RuntimeError(f"worker {self.name}: expected {event!r}, got {obj}")
        return obj

    def send(self, cmd: dict[str, Any]) -> None:
        assert self.proc.stdin is not None  # spawned with stdin=PIPE
        self.proc.stdin.write(json.dumps(cmd).encode() + b"\n")

    async def stop(self) -> None:
        """Ask the worker to quit; kill it if it has not within a few seconds."""
        if self.proc.returncode is None and self.proc.stdin is not None:
            try:
                self.send({"cmd": "quit"})
                self.proc.stdin.close()
            except (BrokenPipeError, ConnectionResetError):
                pass
        try:
            async with asyncio.timeout(5):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()
