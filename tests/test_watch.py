"""``liveevent watch``: the terminal viewer prints cards and resumes after a drop."""

from __future__ import annotations

import asyncio
import io

from liveevent.watch import socket_url, watch
from liveevent.web.appkeys import HUB
from tests.support import LiveServer, eventually


def test_socket_url() -> None:
    assert socket_url("http://h:8080/e/abc") == "ws://h:8080/ws/events/abc"
    assert socket_url("https://fair.example/e/abc/") == "wss://fair.example/ws/events/abc"
    assert socket_url("ws://h/ws/events/abc") == "ws://h/ws/events/abc"


async def _until(out: io.StringIO, text: str, timeout_s: float = 5.0) -> None:
    if not await eventually(lambda: text in out.getvalue(), timeout_s):
        raise AssertionError(f"{text!r} never printed; got {out.getvalue()!r}")


async def test_watch_prints_cards_and_resumes(server: LiveServer) -> None:
    event = await server.create_event()
    out = io.StringIO()
    task = asyncio.create_task(watch(f"{server.url}/e/{event.id}", out=out, max_backoff_s=0.2))
    try:
        await _until(out, "(no card on screen)")
        await server.push(event, "j1")
        await _until(out, ">> 顺丰速运有限公司 — 片区运营主管 · 招20人")
        # Drop every socket from the server side; watch reconnects with its cursor.
        await server.stop()
        await server.start()
        # It has reconnected (its socket is on the new server) before the next push.
        assert await eventually(lambda: server.app[HUB].socket_count == 1, 5.0)
        await server.push(event, "j3")
        await _until(out, ">> 京东物流 — 仓储管理员")
        assert out.getvalue().count("片区运营主管") == 1  # resumed, not replayed from the start
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
