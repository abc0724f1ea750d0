"""Every write, with the store's reply to one of its commands lost: one effect, a true answer.

The fault proxy lets the chosen command reach the store, swallows the reply and resets the
connection, so redis-py sees a dropped connection after the store ran the command and sends it
again. Each case then reads the store directly (not through the proxy) and checks that the
write took effect exactly once and that the HTTP answer says what happened. The table in
``docs/reliability.md`` ("Writes under a lost reply") names the case that proves each line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from liveevent.store import codec, scripts
from liveevent.store.keys import EventKeys, Keys
from tests.faultproxy import FaultProxy, resp_arg
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ValkeyProcess, next_phone
from tests.support import ADMIN_TOKEN, Event, LiveServer


@dataclass
class Rig:
    """A server whose store link runs through the fault proxy, and a direct line to the store."""

    proxy: FaultProxy
    server: LiveServer
    event: Event
    store: aioredis.Redis  # direct, for checking what is really stored
    keys: EventKeys

    def lose(self, *markers: bytes | str) -> None:
        """Lose the reply of the next command that holds every marker (whole arguments)."""
        self.proxy.lose_reply_of(*(resp_arg(m) for m in markers))

    async def call(self, method: str, path: str, token: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.server.call(
            method, f"/api/events/{self.event.id}{path}", token=token, **kwargs
        )

    async def records(self, key: str) -> list[dict[str, Any]]:
        return [codec.unpack(f[b"d"]) for _, f in await self.store.xrange(key)]

    async def applications(self, n: int) -> list[str]:
        ids = []
        for _ in range(n):
            status, body = await self.server.apply(self.event, "j1", next_phone())
            assert status == 201, body
            ids.append(body["application_id"])
        return ids


@pytest.fixture
async def rig(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> AsyncIterator[Rig]:
    store = await valkey()
    proxy = FaultProxy("127.0.0.1", store.port)
    await proxy.start()
    settings = fault_settings(proxy.url, tmp_path)
    server = await live_on(settings)
    event = await server.create_event()
    direct = aioredis.from_url(store.url)
    # Every script loaded up front: a lost reply to an EVALSHA the store answered with
    # NOSCRIPT would prove nothing (the script never ran).
    for text in vars(scripts).values():
        if isinstance(text, str) and "redis.call" in text:
            await direct.script_load(text)
    try:
        yield Rig(proxy, server, event, direct, Keys(settings.key_prefix).event(event.id))
    finally:
        await direct.aclose()
        await server.stop()
        await proxy.stop()


# The writes ---------------------------------------------------------------------------------


async def push_card(rig: Rig) -> None:
    rig.lose(rig.keys.timeline, "card")
    status, body = await rig.call(
        "POST", "/cards", rig.event.host_token, json_body={"job_id": "j1"}
    )
    assert status == 201, body
    _, cards = await rig.call("GET", "/cards", rig.event.host_token)
    assert [c["card_id"] for c in cards["cards"]] == [body["card_id"]]
    stats = await rig.server.stats(rig.event)
    assert stats["cards_pushed"] == 1
    assert stats["current_card"]["card_id"] == body["card_id"]
    assert await rig.store.hget(rig.keys.meta, "cursor") == body["cursor"].encode()


async def withdraw_card(rig: Rig) -> None:
    pushed = await rig.server.push(rig.event, "j1")
    rig.lose(rig.keys.timeline, "withdraw")
    status, body = await rig.call("DELETE", "/cards/current", rig.event.host_token)
    assert status == 204, body
    withdrawn = [r for r in await rig.records(rig.keys.timeline) if r["kind"] == "withdraw"]
    assert [r["card_id"] for r in withdrawn] == [pushed["card_id"]]
    assert (await rig.server.stats(rig.event))["current_card"] is None


async def end_event(rig: Rig) -> None:
    rig.lose(rig.keys.timeline, "state")
    status, body = await rig.call(
        "POST", "/state", rig.event.host_token, json_body={"state": "ended"}
    )
    assert status == 200 and body["state"] == "ended", body
    states = [r["state"] for r in await rig.records(rig.keys.timeline) if r["kind"] == "state"]
    assert states == ["live", "ended"]
    assert await rig.store.hget(rig.keys.meta, "cursor") == body["cursor"].encode()


async def create_event(rig: Rig) -> None:
    events_key = Keys(rig.server.settings.key_prefix).events
    before = await rig.store.smembers(events_key)
    rig.lose("SADD", events_key)
    status, body = await rig.server.call(
        "POST", "/api/events", token=ADMIN_TOKEN, json_body={"title": "夜场招聘会"}
    )
    assert status == 201, body
    after = await rig.store.smembers(events_key)
    assert after - before == {body["id"].encode()}
    status, got = await rig.server.call("GET", f"/api/events/{body['id']}")
    assert status == 200 and got["state"] == "scheduled", got


async def upsert_jobs(rig: Rig) -> None:
    new = [
        {"employer": "美团", "title": "骑手站长", "openings": 3},
        {"employer": "京东", "title": "分拣员"},
    ]
    rig.lose("HSET", rig.keys.jobs)
    status, body = await rig.call("POST", "/jobs", rig.event.staff_token, json_body=new)
    assert status == 201 and body["created"] == 2 and body["updated"] == 0, body
    assert await rig.store.hlen(rig.keys.jobs) == 5
    for job_id in body["job_ids"]:
        assert await rig.store.hexists(rig.keys.jobs, job_id)


async def import_job_sheet(rig: Rig) -> None:
    sheet = "id,employer,title,openings\r\nj1,顺丰速运有限公司,站点主管,5\r\nj9,美团,骑手站长,3\r\n"
    rig.lose("HSET", rig.keys.jobs)
    status, body = await rig.call(
        "POST",
        "/jobs",
        rig.event.staff_token,
        data=sheet.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status in (200, 201) and body["created"] == 1 and body["updated"] == 1, body
    assert await rig.store.hlen(rig.keys.jobs) == 4
    assert codec.unpack(await rig.store.hget(rig.keys.jobs, "j1"))["title"] == "站点主管"


async def change_status(rig: Rig) -> None:
    [app_id] = await rig.applications(1)
    rig.lose(rig.keys.status)
    status, body = await rig.call(
        "PATCH", f"/applications/{app_id}", rig.event.staff_token, json_body={"status": "hired"}
    )
    assert status == 200 and (body["from"], body["status"]) == ("applied", "hired"), body
    changes = await rig.records(rig.keys.status)
    assert [(c["application_id"], c["from"], c["to"]) for c in changes] == [
        (app_id, "applied", "hired")
    ]
    assert (await rig.server.stats(rig.event))["hires"] == 1


async def change_status_bulk(rig: Rig) -> None:
    ids = await rig.applications(3)
    rig.lose(rig.keys.status)  # the first of the three changes
    status, body = await rig.call(
        "PATCH",
        "/applications",
        rig.event.staff_token,
        json_body={"application_ids": ids, "status": "hired"},
    )
    assert status == 200 and body["changed"] == ids and body["unchanged"] == [], body
    changes = await rig.records(rig.keys.status)
    assert sorted(c["application_id"] for c in changes) == sorted(ids)
    assert (await rig.server.stats(rig.event))["hires"] == 3


async def _import_outcomes(rig: Rig, *markers: str) -> None:
    status, body = await rig.server.apply(rig.event, "j1", "13800000001")
    assert status == 201, body
    app_id = body["application_id"]
    rig.lose(*markers)
    status, report = await rig.call(
        "POST",
        "/outcomes",
        rig.event.staff_token,
        data="手机号,职位编号,结果\r\n13800000001,j1,录用\r\n".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200 and report["changed"] == 1, report
    change = report["changes"][0]
    assert (change["application_id"], change["from"], change["to"]) == (app_id, "applied", "hired")
    assert len(await rig.records(rig.keys.status)) == 1
    audits = await rig.records(rig.keys.audit)
    assert [(a["what"], a["changed"]) for a in audits] == [("outcomes import", 1)]


async def import_outcomes_status(rig: Rig) -> None:
    await _import_outcomes(rig, rig.keys.status)


async def import_outcomes_audit(rig: Rig) -> None:
    await _import_outcomes(rig, rig.keys.audit)


async def export_audit(rig: Rig) -> None:
    await rig.applications(2)
    rig.lose(rig.keys.audit)
    status, text = await rig.call("GET", "/export/applications.csv", rig.event.staff_token)
    assert status == 200 and text.count("\n") == 3, text
    audits = await rig.records(rig.keys.audit)
    assert [(a["what"], a["rows"]) for a in audits] == [("export", 2)]


async def record_followup(rig: Rig) -> None:
    """A follow-up mark after hire (issue 17 part 4): FOLLOW_UP with a once key."""
    [app_id] = await rig.applications(1)
    status, body = await rig.call(
        "PATCH", f"/applications/{app_id}", rig.event.staff_token, json_body={"status": "hired"}
    )
    assert status == 200, body
    rig.lose(rig.keys.followups)
    status, body = await rig.call(
        "PUT",
        f"/followups/{app_id}",
        rig.event.staff_token,
        json_body={"checkpoint": "7d", "result": "left"},
    )
    assert status == 200 and body["result"] == "left", body
    marks = await rig.records(rig.keys.followups)
    assert [(m["application_id"], m["checkpoint"], m["result"]) for m in marks] == [
        (app_id, "7d", "left")
    ]
    assert await rig.store.hlen(rig.keys.followup) == 1


def _purge(*markers: Callable[[EventKeys], str]) -> Callable[[Rig], Awaitable[None]]:
    async def purge(rig: Rig) -> None:
        await rig.applications(3)
        status, body = await rig.call(
            "POST", "/state", rig.event.host_token, json_body={"state": "ended"}
        )
        assert status == 200, body
        rig.lose(*(marker(rig.keys) for marker in markers))
        status, body = await rig.call("POST", "/purge", ADMIN_TOKEN)
        assert status == 200 and (body["applications"], body["applicants"]) == (3, 3), body
        stored = await rig.store.xrange(rig.keys.apps)
        assert len(stored) == 3
        assert all(codec.unpack(f[b"d"])["phone"] == "" for _, f in stored)
        assert await rig.store.hlen(rig.keys.applicants) == 3
        assert not await rig.store.exists(
            rig.keys.dedupe, rig.keys.apps_purge, rig.keys.applicants_purge
        )
        audits = await rig.records(rig.keys.audit)
        assert [(a["what"], a["rows"]) for a in audits] == [("purge", 3)]

    return purge


async def overlay_token_first_read(rig: Rig) -> None:
    """An event made before overlay tokens were kept gets one on the host's first read: HSETNX
    of the token, then HSET of its digest. The retry of a lost HSETNX found the token set and
    skipped the digest, so the token the host was given opened nothing (403), for good."""
    await rig.store.hdel(rig.keys.meta, "overlay_token")  # as an event made before
    rig.lose("HSETNX", rig.keys.meta, "overlay_token")
    status, body = await rig.call("GET", "/overlay-token", rig.event.host_token)
    assert status == 200, body
    token = body["overlay_token"]
    assert await rig.store.hget(rig.keys.meta, "overlay_token") == token.encode()
    status, page = await rig.server.call("GET", f"/overlay/{rig.event.id}?token={token}")
    assert status == 200, page
    status, again = await rig.call("GET", "/overlay-token", rig.event.host_token)
    assert status == 200 and again == body


async def set_replay(rig: Rig) -> None:
    """Staff set an ended event's recording (issue 17): HSET of one field, naturally
    idempotent; the audit entry after it is written once."""
    await rig.server.push(rig.event, "j1")
    status, body = await rig.call(
        "POST", "/state", rig.event.host_token, json_body={"state": "ended"}
    )
    assert status == 200, body
    url = "https://media.example.cn/r.mp4"
    rig.lose("HSET", rig.keys.meta, "replay")
    status, body = await rig.call("PUT", "/replay", rig.event.staff_token, json_body={"url": url})
    assert status == 200 and body["cues"] == 1, body
    stored = codec.unpack(await rig.store.hget(rig.keys.meta, "replay"))
    assert stored["url"] == url
    audits = await rig.records(rig.keys.audit)
    assert [(a["what"], a["by"]) for a in audits] == [("replay", "staff")]


WRITES: dict[str, Callable[[Rig], Awaitable[None]]] = {
    "push_card": push_card,
    "withdraw_card": withdraw_card,
    "state_ended": end_event,
    "create_event": create_event,
    "upsert_jobs": upsert_jobs,
    "import_job_sheet": import_job_sheet,
    "change_status": change_status,
    "change_status_bulk": change_status_bulk,
    "import_outcomes_status": import_outcomes_status,
    "import_outcomes_audit": import_outcomes_audit,
    "export_audit": export_audit,
    "overlay_token_first_read": overlay_token_first_read,
    "set_replay": set_replay,
    "record_followup": record_followup,
    # The purge's steps, each losing its reply in turn.
    "purge_mark": _purge(lambda k: "HSETNX", lambda k: k.meta),
    "purge_copy": _purge(lambda k: "XADD", lambda k: k.apps_purge),
    "purge_swap": _purge(lambda k: k.apps, lambda k: k.apps_purge),
    "purge_applicants": _purge(lambda k: k.applicants_purge, lambda k: k.applicants),
    "purge_forget": _purge(lambda k: "DEL", lambda k: k.dedupe),
    "purge_audit": _purge(lambda k: k.audit),
}


@pytest.mark.parametrize("write", list(WRITES))
async def test_write_takes_effect_once_and_answers_truly_when_a_reply_is_lost(
    rig: Rig, write: str
) -> None:
    await WRITES[write](rig)
    assert rig.proxy.dropped_replies == 1, "the fault did not fire: this case proves nothing"
    # What makes a retry recognisable must not stay in the store for good.
    async for key in rig.store.scan_iter(match=f"{rig.server.settings.key_prefix}:*:once:*"):
        assert 0 < await rig.store.ttl(key) <= 600, key  # store_timeout_s 1: 300 s


async def test_apply_sent_again_after_a_lost_reply_is_not_counted_twice_against_the_limit(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> None:
    """The ingest sends a batch again after a lost reply; the per-address limit must count
    the application once, or a stored application is answered 429."""
    store = await valkey()
    proxy = FaultProxy("127.0.0.1", store.port)
    await proxy.start()
    settings = fault_settings(proxy.url, tmp_path, apply_rate_per_ip=1)
    server = await live_on(settings)
    try:
        event = await server.create_event()
        apps = Keys(settings.key_prefix).event(event.id).apps
        direct = aioredis.from_url(store.url)
        try:
            await direct.script_load(scripts.APPLY)  # so that the lost reply is of a real run
            proxy.lose_reply_of(resp_arg("WAITAOF"), resp_arg(apps))
            status, body = await server.apply(event, "j1", next_phone())
            assert proxy.dropped_replies == 1, "the fault did not fire"
            assert status == 201 and body["duplicate"] is False, body
            assert await direct.xlen(apps) == 1
        finally:
            await direct.aclose()
        # The limit itself still holds: a second application from the address is refused.
        status, body = await server.apply(event, "j1", next_phone())
        assert status == 429, body
    finally:
        await server.stop()
        await proxy.stop()
