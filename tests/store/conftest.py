"""A store connection of its own (own key prefix) for each store test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from liveevent.store.connect import StoreConnection
from liveevent.store.opening import connect


@pytest.fixture
async def conn(store_url: str) -> AsyncIterator[StoreConnection]:
    connection = await connect(
        store_url,
        key_prefix=f"test-{uuid.uuid4().hex[:10]}",
        timeout_s=3.0,
        waitaof_timeout_ms=1000,
    )
    yield connection
    await connection.close()
