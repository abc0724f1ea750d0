"""``liveevent watch``: the terminal viewer prints cards and resumes after a drop."""

from __future__ import annotations

import asyncio
import io

import pytest

from liveevent.errors import InvalidInput
from liveevent.watch import socket_url, watch
from liveevent.web.appkeys import HUB
from tests.support import LiveServer, eventually
from tests.web.test_headcounts import CASES, jobs_for_cases


def test_socket_url() -> None:
    assert socket_url("http://h:8080/e/abc") == "ws://h:8080/ws/events/abc"
    assert socket_url("https://fair.example/e/abc/") == "wss://fair.example/ws/events/abc"
    assert socket_url("ws://h/ws/events/abc") == "ws://h/ws/events/abc"


def test_an_address_without_its_scheme_is_refused_at_once() -> None:
    # It used to be taken as a scheme "localhost" and retried forever ("InvalidURI; reconnecting").
    for url in ("localhost:8080/e/abc", "127.0.0.1:8080/e/abc", "ftp://h/e/abc", "http:///e/abc"):
        with pytest.raises(InvalidInput) as bad:
            socket_url(url)
        assert list(bad.value.fields) == ["url"] and "http://" in bad.value.message


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


async def test_watch_shows_headcounts_as_people_write_them(server: LiveServer) -> None:
    """Each card's headcount: 招10-20人, 招20人以上, 招10人以内, 招若干人, 招8人 (one rule with the
    exports, ``tests/data/headcounts.json``)."""
    event = await server.create_event(jobs=jobs_for_cases())
    out = io.StringIO()
    task = asyncio.create_task(watch(f"{server.url}/e/{event.id}", out=out, max_backoff_s=0.2))
    try:
        await _until(out, "(no card on screen)")
        for index, case in enumerate(CASES):
            await server.push(event, f"h{index}")
            await _until(out, f">> 单位{index} — 岗位{index} · {case['zh']}\n")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
