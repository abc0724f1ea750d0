"""Shared fixtures: a real store, a real server on loopback, and a small API client.

The store is the embedded Valkey (one for the whole session), or the server named by
``LIVEEVENT_REDIS_URL``. Each test uses its own key prefix, so tests never see each other's
data and nothing is flushed on a shared Redis.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from liveevent.store.embedded import EmbeddedStore
from tests.support import ADMIN_TOKEN, LiveServer


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("LIVEEVENT_REDIS_URL")
    if url:
        yield url
        return
    store = EmbeddedStore(tmp_path_factory.mktemp("store"))
    url = asyncio.run(store.start())
    yield url
    asyncio.run(store.stop())


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=Secret(store_url),
        key_prefix=f"test-{uuid.uuid4().hex[:12]}",
        admin_token=Secret(ADMIN_TOKEN),
        data_dir=tmp_path,
        viewers_interval_s=0.5,
        node_ttl_s=3.0,
    )


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    live = LiveServer(settings)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


@pytest.fixture
async def make_server(
    settings: Settings,
) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Start more servers (nodes) sharing the test's store: ``await make_server(**changes)``."""
    started: list[LiveServer] = []

    async def start(**changes: Any) -> LiveServer:
        live = LiveServer(replace(settings, **changes))
        await live.start()
        started.append(live)
        return live

    yield start
    for live in started:
        await live.stop()
