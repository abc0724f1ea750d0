"""Start-up of the embedded store while it loads a big AOF: it waits for the load (however long)
and never starts a second server on the same data dir."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError, RedisError

from liveevent.errors import StoreUnavailable
from liveevent.store.embedded import EmbeddedStore
from tests.support import eventually

KEYS = 3_000
# One millisecond per key: ~3 s of loading, three times the timeout the tests start with (the
# real case: 1M applications in a 500 MB AOF, past the old fixed 10 s). Answer LOADING often.
SLOW_LOAD = ("key-load-delay 1000", "loading-process-events-interval-bytes 1024")
TIMEOUT_S = 1.0


async def _fill(data_dir: Path) -> None:
    """KEYS keys in the data dir's AOF, rewritten into its RDB base (what key-load-delay slows)."""
    store = EmbeddedStore(data_dir)
    client = aioredis.from_url(await store.start())
    try:
        async with client.pipeline(transaction=False) as pipe:
            for i in range(KEYS):
                pipe.set(f"filler:{i}", "x" * 64)
            await pipe.execute()
        await client.bgrewriteaof()

        async def rewritten() -> bool:
            info = await client.info("persistence")
            return not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]

        assert await eventually(rewritten, 20.0)
    finally:
        await client.aclose()
        await store.stop()


def _store_processes(store_dir: Path) -> list[int]:
    """Pids of every process working in ``store_dir`` (the Valkey servers of that data dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == store_dir.resolve():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


async def _loading(url: str) -> bool:
    client = aioredis.from_url(url, socket_timeout=1.0)
    try:
        await client.ping()
        return False
    except BusyLoadingError:
        return True
    except RedisError:
        return False
    finally:
        await client.aclose()


async def test_start_waits_while_the_store_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _fill(tmp_path)
    store = EmbeddedStore(tmp_path, extra_config=SLOW_LOAD)
    caplog.set_level(logging.INFO, logger="liveevent.store.embedded")
    loop = asyncio.get_running_loop()
    began = loop.time()
    url = await store.start(timeout_s=TIMEOUT_S)  # used to raise "did not start in time"
    try:
        assert loop.time() - began > 2 * TIMEOUT_S  # it really was loading past the timeout
        client = aioredis.from_url(url)
        assert await client.dbsize() == KEYS
        await client.aclose()
        progress = [r.getMessage() for r in caplog.records if "load its data" in r.getMessage()]
        assert progress and "%" in progress[0], progress
    finally:
        await store.stop()


async def test_a_second_start_while_loading_attaches_and_spawns_nothing(tmp_path: Path) -> None:
    """``serve`` gave up while the store loaded; the next start must attach to that store, not
    start a second Valkey appending to the same AOF."""
    await _fill(tmp_path)
    first = EmbeddedStore(tmp_path, extra_config=SLOW_LOAD)
    starting = asyncio.create_task(first.start(timeout_s=TIMEOUT_S))
    state = tmp_path / "store" / "server.json"

    async def loading() -> bool:
        if not state.exists():
            return False
        data = json.loads(state.read_text())
        url = f"redis://:{data['password']}@127.0.0.1:{data['port']}/0"
        return bool(data["pid"]) and await _loading(url)

    assert await eventually(loading, 10.0), "the store never said LOADING"
    second = EmbeddedStore(tmp_path)
    url = await second.start(timeout_s=TIMEOUT_S)
    try:
        assert not second.started_here
        assert url == await starting
        assert _store_processes(tmp_path / "store") == [first.pid]
        client = aioredis.from_url(url)
        assert await client.dbsize() == KEYS
        await client.aclose()
    finally:
        await second.stop()
        await first.stop()


async def test_a_stale_record_of_a_dead_store_does_not_block(tmp_path: Path) -> None:
    """A crash leaves server.json and valkey.pid behind, naming a dead pid or, after a reboot,
    a pid the system gave to another program: neither is the store, so start one."""
    gone = await asyncio.create_subprocess_exec("true")
    await gone.wait()
    folder = tmp_path / "store"
    folder.mkdir(mode=0o700)
    for pid in (gone.pid, os.getpid()):  # dead; alive but not a store of this folder
        (folder / "server.json").write_text(
            json.dumps({"pid": pid, "port": 1, "password": "stale"})
        )
        (folder / "valkey.pid").write_text(f"{pid}\n")
        store = EmbeddedStore(tmp_path)
        url = await store.start(timeout_s=5.0)
        try:
            assert store.started_here
            client = aioredis.from_url(url)
            assert await client.ping()
            await client.aclose()
        finally:
            await store.stop()


async def test_an_alive_store_that_does_not_answer_is_not_doubled(tmp_path: Path) -> None:
    """The store process runs (stopped here with SIGSTOP, as a hung one would be) but answers
    nothing: start fails clearly and leaves that one process alone."""
    first = EmbeddedStore(tmp_path)
    await first.start()
    os.kill(first.pid, 19)  # SIGSTOP
    try:
        with pytest.raises(StoreUnavailable, match="not starting a second one"):
            await EmbeddedStore(tmp_path).start(timeout_s=TIMEOUT_S)
        assert _store_processes(tmp_path / "store") == [first.pid]
    finally:
        os.kill(first.pid, 18)  # SIGCONT
        await first.stop()
