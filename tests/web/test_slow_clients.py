"""Slow clients (issue 12, item 6), with raw sockets against the server as ``liveevent serve``
runs it (``serve.make_runner`` + ``serve.start_site``), its timeouts set small.

At 43e7ac7, 100 connections sending one header line every 10 s plus 20 silent ones were all
still open after 130 s: aiohttp's idle timeout was an hour and there was no head deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from liveevent.config import Settings
from liveevent.serve import make_runner, start_site
from liveevent.store.embedded import free_port
from liveevent.web.app import create_app
from tests.support import ADMIN_TOKEN

Served = Callable[..., Awaitable[int]]

HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture
async def serve(settings: Settings) -> AsyncIterator[Served]:
    """``await serve(**changes)`` starts a server the way serve.py does; returns its port."""
    runners = []

    async def start(**changes: Any) -> int:
        changed = replace(settings, **changes)
        runner = make_runner(create_app(changed), changed)
        await runner.setup()
        runners.append(runner)
        port = free_port()
        await start_site(runner, changed, port=port)
        return port

    yield start
    for runner in runners:
        await runner.cleanup()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True once the server closes (EOF or reset) within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(4096):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


async def test_slow_and_silent_connections_are_closed(serve: Served) -> None:
    port = await serve(header_timeout_s=1.0, idle_timeout_s=2.0, max_pending_per_ip=500)
    opened = time.monotonic()
    silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
    trickling = [await asyncio.open_connection("127.0.0.1", port) for _ in range(100)]

    async def trickle(writer: asyncio.StreamWriter) -> None:
        # One header line at a time, never the blank line that ends the head.
        writer.write(HEAD)
        for n in range(100):
            await asyncio.sleep(0.2)
            try:
                writer.write(f"X-Slow-{n}: 1\r\n".encode())
                await writer.drain()
            except ConnectionError:
                return

    tasks = [asyncio.create_task(trickle(writer)) for _, writer in trickling]
    closed = await asyncio.gather(
        *(_closed_within(reader, 4.0) for reader, _ in silent + trickling)
    )
    elapsed = time.monotonic() - opened
    assert all(closed), f"{closed.count(False)} of 120 still open"
    assert elapsed < 4.0
    for task in tasks:
        task.cancel()
    for _, writer in silent + trickling:
        writer.close()

    # The server still serves others.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HEAD + b"\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()


async def test_idle_keep_alive_is_closed(serve: Served) -> None:
    port = await serve(header_timeout_s=5.0, idle_timeout_s=1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HEAD + b"\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    # Then half a second request, trickled: the idle timeout is not extended by it.
    writer.write(b"GET /healthz HTTP/1.1\r\n")
    started = time.monotonic()
    assert await _closed_within(reader, 3.0)
    assert time.monotonic() - started < 2.5
    writer.close()

    # A websocket outlives the idle timeout: its handler is running, it is not waiting.
    async with aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{port}"
        token = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with session.post(f"{base}/api/events", json={"title": "t"}, headers=token) as resp:
            event_id = (await resp.json())["id"]
        ws = await session.ws_connect(f"{base}/ws/events/{event_id}")
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        await asyncio.sleep(2.0)
        assert not ws.closed
        await ws.close()


async def test_pending_connections_per_address_are_capped(serve: Served) -> None:
    port = await serve(header_timeout_s=10.0, max_pending_per_ip=5)
    pending = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await _closed_within(reader, 1.0)  # the sixth: reset at once, long before 10 s
    writer.close()
    for other, _ in pending:
        assert not await _closed_within(other, 0.05)
    # One of them finishes its request: no longer pending, so there is room for one more.
    first_reader, first_writer = pending[0]
    first_writer.write(HEAD + b"\r\n")
    assert (await first_reader.readline()).startswith(b"HTTP/1.1 200")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert not await _closed_within(reader, 0.3)
    for _, w in [*pending, (reader, writer)]:
        w.close()

    # A trusted proxy is exempt: nginx sends only complete heads, for many clients at once.
    port = await serve(max_pending_per_ip=2, trusted_proxies=("127.0.0.1",))
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(6)]
    for reader, _ in connections:
        assert not await _closed_within(reader, 0.05)
    for _, writer in connections:
        writer.close()


async def test_a_trickled_body_is_cut_off(serve: Served) -> None:
    """A complete head, then the body a byte at a time: 400 naming the body at the body
    timeout, then closed after the short lingering read (2 s)."""
    port = await serve(body_timeout_s=1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/events/nope/applications HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    )
    started = time.monotonic()

    async def trickle() -> None:
        for _ in range(100):
            await asyncio.sleep(0.2)
            try:
                writer.write(b" ")
                await writer.drain()
            except ConnectionError:
                return

    task = asyncio.create_task(trickle())
    async with asyncio.timeout(6):
        status = await reader.readline()
        answered = time.monotonic() - started
        answer = await reader.read()  # to the end: the server closes the connection
    assert status.startswith(b"HTTP/1.1 400"), status
    assert b'"body"' in answer
    assert answered < 2.0 and time.monotonic() - started < 4.5
    task.cancel()
    writer.close()


async def test_blank_lines_before_the_head_do_not_end_it(serve: Served) -> None:
    """The parser skips blank lines before a request line (RFC 9112 2.2). They used to look
    like the end of a head: ``\\r\\n\\r\\n`` first, then a head trickled a line at a time, was
    taken for a complete request, so it escaped the head deadline (held until the idle
    timeout instead) and the per-address cap (all six held here, where the cap is 3)."""
    port = await serve(header_timeout_s=1.0, idle_timeout_s=30.0, max_pending_per_ip=3)
    for prefix in (b"\r\n\r\n", b"\n\n", b"\r\n"):
        opened = time.monotonic()
        connections = []
        for _ in range(6):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(prefix)
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(HEAD)  # never the blank line that ends the head
            connections.append((reader, writer))
        closed = await asyncio.gather(*(_closed_within(r, 3.0) for r, _ in connections))
        assert all(closed), (prefix, closed)
        assert time.monotonic() - opened < 3.0, prefix
        for _, writer in connections:
            writer.close()
    # A blank line before a real request is still served.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"\r\n" + HEAD + b"\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    writer.close()
