"""An event's slot moves to another master while viewers watch and applications arrive.

The migration is done by hand as ``redis-cli --cluster reshard`` does it (SETSLOT IMPORTING /
MIGRATING, MIGRATE each key, SETSLOT NODE), slowly, so that applications meet every state:
keys split between two masters (TRYAGAIN), keys already moved (ASK), slot moved (MOVED).
Nothing acknowledged may be missing afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from pathlib import Path

import pytest
from redis.crc import key_slot

from liveevent.config import Secret, Settings
from liveevent.store.connect import StoreConnection
from liveevent.web.appkeys import STORE
from tests.cluster.valkey_cluster import ValkeyCluster
from tests.support import ADMIN_TOKEN, LiveServer, eventually

pytestmark = pytest.mark.slow


async def test_moving_an_events_slot_loses_no_application(
    valkey_cluster: ValkeyCluster, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=Secret(valkey_cluster.url),
        key_prefix=f"move-{uuid.uuid4().hex[:8]}",
        admin_token=Secret(ADMIN_TOKEN),
        data_dir=tmp_path,
        apply_rate_per_ip=0,
        viewers_interval_s=0.5,
        node_ttl_s=3.0,
    )
    nodes = [LiveServer(settings), LiveServer(settings)]
    for node in nodes:
        await node.start()
    try:
        await migrate_under_load(valkey_cluster, nodes)
    finally:
        for node in nodes:
            await node.stop()


async def migrate_under_load(cluster: ValkeyCluster, nodes: list[LiveServer]) -> None:
    event = await nodes[0].create_event()
    await nodes[0].push(event, "j1")
    viewers = [await nodes[i % 2].viewer(event) for i in range(10)]
    for viewer in viewers:
        await viewer.next()
    slot = key_slot(event.id.encode())
    source = cluster.owner(slot)
    target = next(p for p in cluster.ports if p != source)

    acknowledged: dict[str, str] = {}  # phone -> application id
    phones = (f"139{n:08d}" for n in itertools.count())
    stop = asyncio.Event()

    async def keep_applying(node: LiveServer) -> None:
        while not stop.is_set():
            batch = [next(phones) for _ in range(8)]
            replies = await asyncio.gather(*(node.apply(event, "j1", p) for p in batch))
            for phone, (status, body) in zip(batch, replies, strict=True):
                if status == 201:
                    acknowledged[phone] = body["application_id"]
                else:  # refused is allowed (nothing acknowledged); lost is not
                    assert status == 503, body

    appliers = [asyncio.create_task(keep_applying(node)) for node in nodes]
    assert await eventually(lambda: len(acknowledged) > 0, 10.0)  # applying under way
    moved = await asyncio.to_thread(cluster.move_slot, slot, target, pause_s=0.5)
    during = len(acknowledged)
    # Applications go on being acknowledged on the new master (however busy this machine is).
    for _ in range(150):
        if len(acknowledged) >= during + 24:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*appliers)
    assert moved >= 8 and cluster.owner(slot) == target

    # Every acknowledged application is in the applications stream, once.
    conn: StoreConnection = nodes[0].app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).apps, "-", "+")
    stored = [e[1][b"id"].decode() for e in entries]
    assert len(stored) == len(set(stored))
    assert set(acknowledged.values()) <= set(stored)
    assert during > 0 and len(acknowledged) >= during + 24
    stats = await nodes[1].stats(event)
    assert stats["applications"] == len(stored)
    # The redirections were really met and followed, not avoided.
    redirects = 0
    for node in nodes:
        batches = node.app[STORE].batches
        assert batches is not None
        redirects += batches.redirects
    assert redirects > 0

    # Viewers stayed connected through the move and still get pushes.
    pushed = await nodes[1].push(event, "j3")
    for viewer in viewers:
        card = await viewer.next_of("card", within_s=10)
        assert card["card"]["card_id"] == pushed["card_id"]
        await viewer.close()
