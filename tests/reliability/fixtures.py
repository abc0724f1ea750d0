"""Fixtures for fault tests: own Valkey processes (killed at the end) and servers on them.

Not a conftest: ``tests/conftest.py`` imports ``valkey`` and ``live_on`` so that fault tests can
live beside the module they test, in any directory.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from tests.reliability.support import ValkeyProcess
from tests.support import ADMIN_TOKEN, LiveServer


@pytest.fixture
async def valkey(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[ValkeyProcess]]]:
    """``await valkey(appendfsync=..., extra=...)``: a started Valkey of this test's own."""
    started: list[ValkeyProcess] = []

    async def start(**kwargs: Any) -> ValkeyProcess:
        process = ValkeyProcess(tmp_path / f"valkey{len(started)}", **kwargs)
        started.append(process)
        await process.start()
        return process

    yield start
    for process in started:
        if process.child is not None and process.child.poll() is None:
            process.resume()  # a SIGSTOPped server cannot die until continued
        process.kill()


def fault_settings(url: str, data_dir: Path, **changes: Any) -> Settings:
    """Settings for a server on a test's own store: short timeouts, no per-IP apply limit."""
    values: dict[str, Any] = {
        "redis_url": Secret(url),
        "key_prefix": f"fault-{uuid.uuid4().hex[:8]}",
        "admin_token": Secret(ADMIN_TOKEN),
        "data_dir": data_dir,
        "store_timeout_s": 1.0,
        "waitaof_timeout_ms": 1000,
        "apply_rate_per_ip": 0,
        "viewers_interval_s": 0.5,
        "node_ttl_s": 3.0,
    }
    values.update(changes)
    return Settings(**values)


@pytest.fixture
async def live_on() -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """``await live_on(settings)``: a server, stopped at the end of the test."""
    started: list[LiveServer] = []

    async def start(settings: Settings) -> LiveServer:
        live = LiveServer(settings)
        await live.start()
        started.append(live)
        return live

    yield start
    for live in started:
        await live.stop()
