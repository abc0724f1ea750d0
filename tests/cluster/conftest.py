"""Fixtures for several nodes: node processes, and the same tests on one Redis and on a cluster.

``store_url`` is overridden here with two parameters: ``one-store`` (the suite's store: the
embedded Valkey or ``LIVEEVENT_REDIS_URL``) and ``cluster`` (a three-master Valkey cluster
started once for the session). Every test in this directory that uses the ``server`` /
``make_server`` fixtures therefore runs against both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from liveevent.config import Settings
from tests.cluster.nodes import NodeProcess
from tests.cluster.valkey_cluster import ValkeyCluster


@pytest.fixture(scope="session")
def valkey_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValkeyCluster]:
    cluster = ValkeyCluster(tmp_path_factory.mktemp("valkey-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=["one-store", "cluster"])
def store_url(request: pytest.FixtureRequest, store_url: str) -> str:
    if request.param == "cluster":
        cluster: ValkeyCluster = request.getfixturevalue("valkey_cluster")
        return cluster.url
    return store_url


@pytest.fixture
async def node_process(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[NodeProcess]]]:
    """``await node_process(name)``: a ``liveevent serve`` process on the test's store."""
    started: list[NodeProcess] = []

    async def start(name: str, **env: Any) -> NodeProcess:
        node = NodeProcess(settings, tmp_path, name=name, **env)
        started.append(node)
        await node.start()
        return node

    yield start
    for node in started:
        node.kill()
