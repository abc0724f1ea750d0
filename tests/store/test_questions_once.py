"""Questions under a lost reply: the store ran the script, its reply was lost, redis-py sent it
again. The question is stored once, the approval reaches the timeline once, and the answers
are the first run's (the fault proxy: tests/faultproxy.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from liveevent.store import codec, scripts
from liveevent.store.keys import EventKeys, Keys
from tests.faultproxy import FaultProxy, resp_arg
from tests.reliability.fixtures import fault_settings
from tests.reliability.support import ValkeyProcess
from tests.support import Event, LiveServer


class Rig:
    def __init__(
        self, proxy: FaultProxy, server: LiveServer, event: Event, store: aioredis.Redis
    ) -> None:
        self.proxy, self.server, self.event, self.store = proxy, server, event, store
        self.keys: EventKeys = Keys(server.settings.key_prefix).event(event.id)

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.server.call(method, f"/api/events/{self.event.id}{path}", **kwargs)

    async def timeline(self, kind: str) -> list[dict[str, Any]]:
        records = [codec.unpack(f[b"d"]) for _, f in await self.store.xrange(self.keys.timeline)]
        return [r for r in records if r["kind"] == kind]


@pytest.fixture
async def rig(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    live_on: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
) -> AsyncIterator[Rig]:
    store = await valkey()
    proxy = FaultProxy("127.0.0.1", store.port)
    await proxy.start()
    server = await live_on(fault_settings(proxy.url, tmp_path, apply_rate_per_ip=1))
    event = await server.create_event()
    direct = aioredis.from_url(store.url)
    for text in (scripts.ASK, scripts.MODERATE, scripts.GREET):
        await direct.script_load(text)  # a lost reply to a NOSCRIPT would prove nothing
    try:
        yield Rig(proxy, server, event, direct)
    finally:
        await direct.aclose()
        await server.stop()
        await proxy.stop()


async def test_an_ask_whose_reply_is_lost_is_stored_once_and_counted_once(rig: Rig) -> None:
    card = await rig.server.push(rig.event, "j1")
    rig.proxy.lose_reply_of(resp_arg(rig.keys.questions), resp_arg(rig.keys.questions_pending))
    status, body = await rig.call(
        "POST", "/questions", json_body={"card_id": card["card_id"], "text": "包住吗"}
    )
    assert rig.proxy.dropped_replies == 1, "the fault did not fire: this case proves nothing"
    assert status == 201, body
    stored = await rig.store.hgetall(rig.keys.questions)
    assert list(stored) == [body["question_id"].encode()]
    assert await rig.store.zcard(rig.keys.questions_pending) == 1
    assert await rig.store.hget(rig.keys.counters, "questions") == b"1"
    # The address's allowance (1) was spent once, by the stored question, not by the retry.
    status, body = await rig.call(
        "POST", "/questions", json_body={"card_id": card["card_id"], "text": "还有"}
    )
    assert status == 429, body


async def test_an_approval_whose_reply_is_lost_reaches_the_timeline_once(rig: Rig) -> None:
    card = await rig.server.push(rig.event, "j1")
    status, asked = await rig.call(
        "POST", "/questions", json_body={"card_id": card["card_id"], "text": "包住吗"}
    )
    assert status == 201, asked
    rig.proxy.lose_reply_of(resp_arg(rig.keys.questions), resp_arg(rig.keys.timeline))
    status, body = await rig.call(
        "POST",
        f"/questions/{asked['question_id']}",
        token=rig.event.host_token,
        json_body={"action": "answer", "answer": "包住"},
    )
    assert rig.proxy.dropped_replies == 1, "the fault did not fire: this case proves nothing"
    assert status == 200 and body["question"]["status"] == "answered", body
    entries = await rig.timeline("question")
    assert [e["question"]["answer"] for e in entries] == ["包住"]
    assert await rig.store.hget(rig.keys.meta, "cursor") == body["cursor"].encode()
    shown = await rig.store.hvals(rig.keys.questions_shown(card["card_id"]))
    assert [codec.unpack(s)["status"] for s in shown] == ["answered"]
