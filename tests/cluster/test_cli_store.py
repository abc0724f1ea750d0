"""The organisers' commands open the store the way the server does: on a cluster too.

Issue 15, part 2, point 1: given ``redis_cluster_nodes`` the commands used to start an empty
embedded store and work on that, and given a ``redis+cluster://`` URL they failed with an
uncaught ``ValueError``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from liveevent.cli import main
from liveevent.config import Secret, Settings
from tests.cluster.valkey_cluster import ValkeyCluster
from tests.support import ADMIN_TOKEN, LiveServer


@pytest.fixture
async def cluster_server(
    valkey_cluster: ValkeyCluster, tmp_path: Path
) -> AsyncIterator[LiveServer]:
    """A server on the test cluster (only: not run again on the one store)."""
    settings = Settings(
        redis_url=Secret(valkey_cluster.url),
        key_prefix=f"test-{uuid.uuid4().hex[:12]}",
        admin_token=Secret(ADMIN_TOKEN),
        data_dir=tmp_path / "server",
    )
    live = LiveServer(settings)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


async def _summary(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    # main() runs its own event loop: off this test's loop, in a thread.
    assert await asyncio.to_thread(main, ["summary", "--json", *argv]) == 0
    return dict(json.loads(capsys.readouterr().out))


async def test_summary_with_a_cluster_url_reads_the_cluster(
    cluster_server: LiveServer,
    valkey_cluster: ValkeyCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = await cluster_server.create_event("集群专场")
    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", cluster_server.settings.key_prefix)
    data_dir = tmp_path / "cli"
    found = await _summary(["--redis-url", valkey_cluster.url, "--data-dir", str(data_dir)], capsys)
    assert event.id in json.dumps(found, ensure_ascii=False)
    assert not (data_dir / "store").exists()  # no embedded store started beside the cluster


async def test_summary_with_cluster_nodes_reads_the_cluster(
    cluster_server: LiveServer,
    valkey_cluster: ValkeyCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = await cluster_server.create_event("集群专场")
    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", cluster_server.settings.key_prefix)
    monkeypatch.setenv(
        "LIVEEVENT_REDIS_CLUSTER_NODES", ",".join(f"127.0.0.1:{p}" for p in valkey_cluster.ports)
    )
    data_dir = tmp_path / "cli"
    found = await _summary(["--data-dir", str(data_dir)], capsys)
    assert event.id in json.dumps(found, ensure_ascii=False)
    assert not (data_dir / "store").exists()
