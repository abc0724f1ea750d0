"""A purge that forgets: nothing of a purged applicant is left in the store's files, and only the
account running liveevent can read the data dir (issue 12, item 8).

Each test runs its own embedded store in its own data dir (the session's store, or an external
Redis, would mix in other tests' data and files this test cannot see).
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from liveevent.admin import open_office
from liveevent.cli import build_parser, ensure_admin_token, main, settings_from_args
from liveevent.config import Settings
from liveevent.demo import seed_demo
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import Applied, PendingApply
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.opening import connect
from liveevent.web.appkeys import APPLICATIONS, EVENTS

PURGED = "purgeev01"
KEPT = "keptev01"
# Distinct enough that a hit can only be this data; the idempotency keys carry the phones too,
# as some clients do.
PURGED_PEOPLE = [("欧阳紫萱", "13912340001"), ("司马长风", "13912340002")]
KEPT_PEOPLE = [("上官婉清", "15867890003")]


@pytest.fixture
def own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """CLI arguments for an embedded store in this test's own data dir."""
    monkeypatch.delenv("LIVEEVENT_REDIS_URL", raising=False)
    monkeypatch.delenv("LIVEEVENT_DATA_DIR", raising=False)
    # What a shell usually has: files would be 0644 and folders 0755 unless liveevent says.
    previous = os.umask(0o022)
    yield ["--data-dir", str(tmp_path / "data")]
    os.umask(previous)


def _settings(args: list[str]) -> Settings:
    return settings_from_args(build_parser().parse_args(["summary", *args]), dict(os.environ))


def _seed(args: list[str]) -> None:
    async def seed() -> None:
        async with open_office(_settings(args)) as office:
            for event_id, people in ((PURGED, PURGED_PEOPLE), (KEPT, KEPT_PEOPLE)):
                event = LiveEvent.parse({"title": "fair"}, event_id=event_id, now=0)
                await office.events.create_event(event, {"host": "h" + event_id})
                await office.events.upsert_jobs(event_id, [Job("j1", "顺丰速运", "仓管员")])
                await office.events.set_state(event_id, EventState.LIVE, now=1)
                for name, phone in people:
                    body = {"job_id": "j1", "name": name, "phone": phone}
                    request = ApplyRequest.parse({**body, "idempotency_key": f"tel-{phone}"})
                    (applied,) = await office.applications.apply_batch(
                        [PendingApply(event_id=event_id, request=request, via="http", now=2)]
                    )
                    assert isinstance(applied, Applied), applied
            await office.events.set_state(PURGED, EventState.ENDED, now=3)

    asyncio.run(seed())


def _hits(root: Path, needle: str) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def test_purge_leaves_no_name_or_phone_in_the_store_files(
    own_store: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(own_store)
    data = tmp_path / "data"
    assert _hits(data, PURGED_PEOPLE[0][1]), "the AOF should hold the phone before the purge"

    assert main(["purge", "--event", PURGED, *own_store]) == 0
    for name, phone in PURGED_PEOPLE:
        assert _hits(data, phone) == [], phone
        assert _hits(data, name) == [], name
    out = capsys.readouterr()
    assert "1 AOF" in out.out, out
    assert "operator must" not in out.err  # the embedded store: nothing left for anyone
    # The control: the other event's applicant is still in the rewritten files, as they are
    # written, so a miss above is not the grep failing to see into them.
    kept_name, kept_phone = KEPT_PEOPLE[0]
    assert _hits(data, kept_phone) and _hits(data, kept_name)


def _modes(root: Path) -> dict[str, int]:
    modes = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        modes[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return modes


def test_data_dir_is_0700_and_every_file_in_it_0600(own_store: list[str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = _settings(own_store)
    ensure_admin_token(settings)  # what `liveevent serve` does first

    async def run() -> None:
        async with open_office(settings) as office:
            app = web.Application()
            app[EVENTS] = office.events
            app[APPLICATIONS] = office.applications  # the demo's employers and channels
            await seed_demo(app, settings)
            # The store writes more files as it goes: a rewrite makes a new base and manifest.
            await office.conn.reader.bgrewriteaof()
            for _ in range(200):  # until it is done (a few ms here)
                info = await office.conn.reader.info("persistence")
                if not int(info["aof_rewrite_in_progress"]):
                    break
                await asyncio.sleep(0.05)

    asyncio.run(run())
    modes = _modes(data)
    for must in ("admin_token", "demo.json", "store/appendonlydir", "store/valkey.conf"):
        assert must in modes, sorted(modes)
    assert any(name.endswith(".manifest") for name in modes)
    assert any(name.endswith(".base.rdb") for name in modes)
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (data / name).is_dir() else 0o600)
    }
    assert wrong == {}


def test_files_an_older_version_left_open_are_narrowed(
    own_store: list[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "store" / "appendonlydir").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    (data / "store").chmod(0o755)
    (data / "admin_token").write_text("old-admin-token-0123456789\n")
    (data / "admin_token").chmod(0o644)
    (data / "store" / "valkey.log").write_text("")
    (data / "store" / "valkey.log").chmod(0o644)

    settings = ensure_admin_token(_settings(own_store))
    assert settings.admin_token is not None
    assert settings.admin_token.reveal() == "old-admin-token-0123456789"
    assert main(["summary", *own_store]) == 0  # starts (and stops) the store on this dir

    wrong = {name: oct(mode) for name, mode in _modes(data).items() if mode & 0o077}
    assert wrong == {}


async def test_purge_waits_out_a_rewrite_already_running_then_rewrites(tmp_path: Path) -> None:
    from liveevent.store.purge import forget_on_disk

    store = EmbeddedStore(tmp_path)
    conn = await connect(
        await store.start(), key_prefix="t", timeout_s=5.0, waitaof_timeout_ms=1000
    )
    try:
        redis = conn.reader
        await redis.hset("t:filler", mapping={f"f{i}": "x" for i in range(40)})
        for i in range(40):
            await redis.set(f"t:k{i}", "v")
        before = int((await redis.info("persistence"))["aof_rewrites"])
        # 20 ms per key, ~0.8 s in all: a rewrite started now is still running when the
        # purge asks. The forked child keeps the delay after the server's is set back.
        await redis.config_set("rdb-key-save-delay", 20_000)
        await redis.bgrewriteaof()
        assert int((await redis.info("persistence"))["aof_rewrite_in_progress"]) == 1
        await redis.config_set("rdb-key-save-delay", 0)
        report = await forget_on_disk(conn)
        info = await redis.info("persistence")
        # The running one (forked before the purge) and then one of its own.
        assert int(info["aof_rewrites"]) == before + 2
        assert report.aof_rewritten == 1 and report.todo == ()
    finally:
        await conn.close()
        await store.stop()


async def test_an_external_store_without_aof_tells_the_operator(tmp_path: Path) -> None:
    from liveevent.store.purge import forget_on_disk

    store = EmbeddedStore(tmp_path)
    conn = await connect(
        await store.start(), key_prefix="t", timeout_s=5.0, waitaof_timeout_ms=1000
    )
    try:
        await conn.reader.config_set("appendonly", "no")
        report = await forget_on_disk(conn)
        assert report.aof_rewritten == 0 and report.rdb_saved == 0
        assert any("neither an AOF nor RDB" in note for note in report.todo), report
        await conn.reader.config_set("save", "3600 1")
        report = await forget_on_disk(conn)
        assert report.rdb_saved == 1 and report.todo == ()
    finally:
        await conn.close()
        await store.stop()
