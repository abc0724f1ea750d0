"""The host (and staff) socket reads through the viewer socket's decoder and limits: garbage
before authentication, deep JSON, huge and binary frames each end in a clean close code, and a
host that simply goes away is not an error. No traceback reaches the log in any of it."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from collections.abc import Awaitable, Callable

import msgpack
import pytest

from tests.reliability.rawws import BINARY, TEXT, RawViewer
from tests.support import Event, LiveServer


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged as an error or with a traceback (should be nothing)."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info is not None or "Traceback" in r.getMessage()
    ]


async def _close_code(raw: RawViewer) -> int | None:
    """Read until the server's close frame; its code (None if the connection just ended)."""
    try:
        async with asyncio.timeout(8):
            while True:
                await raw.message()
    except ConnectionError:
        return raw.close_code
    finally:
        raw.close()


def _auth(event: Event, **extra: str) -> bytes:
    return json.dumps({"type": "auth", "token": event.host_token, **extra}).encode()


# (label, opcode, payload, close code): sent as the first frame, before any auth.
BEFORE_AUTH: list[tuple[str, int, bytes, int]] = [
    ("deep array", TEXT, b"[" * 2000 + b"]" * 2000, 4401),
    ("deep object", TEXT, b'{"a":' * 2000 + b"1" + b"}" * 2000, 4401),
    ("deep auth", TEXT, b'{"type": "auth", "token": ' + b"[" * 1500 + b"]" * 1500 + b"}", 4401),
    ("not json", TEXT, b"GET / HTTP/1.1", 4401),
    ("json list", TEXT, b'["auth"]', 4401),
    ("binary junk", BINARY, b"\xc1\xff\x00garbage", 4401),
    ("deep msgpack", BINARY, b"\x91" * 3000 + b"\x01", 4401),
    ("invalid utf-8", TEXT, b'{"type": "auth", "token": "\xff"}', 1007),
    ("over max_message_bytes", TEXT, b"x" * (64 * 1024 + 1), 1009),
]


async def test_garbage_before_auth_closes_cleanly(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = await server.create_event()
    codes = {}
    for label, opcode, payload, _ in BEFORE_AUTH:
        raw = await RawViewer.connect(server.port, f"/ws/host/{event.id}")
        await raw.send_frame(opcode, payload)
        codes[label] = await _close_code(raw)
    assert codes == {label: code for label, _, _, code in BEFORE_AUTH}
    # The socket still works for a real host afterwards.
    raw = await RawViewer.connect(server.port, f"/ws/host/{event.id}")
    await raw.send_frame(TEXT, _auth(event))
    assert (await raw.message())["type"] == "welcome"
    raw.close()
    await asyncio.sleep(0.2)
    assert _no_tracebacks(caplog) == []


async def test_frames_are_bounded_by_max_message_bytes_like_the_viewer_socket(
    make_server: Callable[..., Awaitable[LiveServer]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = await make_server(max_message_bytes=8192)
    event = await server.create_event()
    # A frame under the limit is read and judged, even if larger than a token needs...
    raw = await RawViewer.connect(server.port, f"/ws/host/{event.id}")
    padded = _auth(event, pad="p" * 6000)
    assert 6000 < len(padded) <= 8192
    await raw.send_frame(TEXT, padded)
    assert (await raw.message())["type"] == "welcome"
    # ... and one over it closes the socket with 1009, after authentication as before it.
    await raw.send_frame(TEXT, b"x" * 8193)
    assert await _close_code(raw) == 1009
    raw = await RawViewer.connect(server.port, f"/ws/host/{event.id}")
    await raw.send_frame(BINARY, msgpack.packb({"type": "auth", "pad": b"x" * 8200}))
    assert await _close_code(raw) == 1009
    assert _no_tracebacks(caplog) == []


async def test_garbage_after_auth_is_harmless_and_charged_to_the_budget(
    make_server: Callable[..., Awaitable[LiveServer]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = await make_server(socket_message_burst=10, socket_messages_per_s=0.5)
    event = await server.create_event()
    raw = await RawViewer.connect(server.port, f"/ws/host/{event.id}")
    await raw.send_frame(TEXT, json.dumps({"type": "auth", "token": event.staff_token}).encode())
    assert (await raw.message())["type"] == "welcome"
    for payload in (b"[" * 2000 + b"]" * 2000, b"not json", b'{"type": "auth"}'):
        await raw.send_frame(TEXT, payload)
    await raw.send_frame(BINARY, b"\x91" * 3000 + b"\x01")
    assert (await raw.message())["type"] == "stats"  # still served
    for _ in range(20):  # past the budget (10 at once, auth and the 4 above included)
        await raw.send_frame(TEXT, b"{}")
    assert await _close_code(raw) == 1008
    assert _no_tracebacks(caplog) == []


async def test_abrupt_disconnects_are_not_errors(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = await server.create_event()
    path = f"/ws/host/{event.id}"
    hosts = []
    for _ in range(3):  # a laptop lid closed, a tab killed, a network gone: no close frame
        raw = await RawViewer.connect(server.port, path)
        await raw.send_frame(TEXT, _auth(event))
        assert (await raw.message())["type"] == "welcome"
        hosts.append(raw)
    hosts[0].abort()  # a reset
    hosts[1].close()  # a plain FIN, no close frame
    await hosts[2].send_frame(0x8, (1001).to_bytes(2, "big"))  # going away, not waiting
    hosts[2].abort()
    silent = await RawViewer.connect(server.port, path)
    silent.abort()  # gone before authenticating
    for _ in range(5):  # gone right after authenticating, before the welcome
        hasty = await RawViewer.connect(server.port, path)
        await hasty.send_frame(TEXT, _auth(event))
        hasty.abort()
    refused = await RawViewer.connect(server.port, path)  # gone before its refusal
    await refused.send_frame(TEXT, json.dumps({"type": "auth", "token": "wrong"}).encode())
    refused.abort()
    half = await RawViewer.connect(server.port, path)
    await half.send_frame(TEXT, _auth(event)[:10], fin=False)  # gone mid-frame
    half.abort()
    # The stats sender writes to each closed socket within a second or two: still no error.
    await server.push(event, "j1")
    await asyncio.sleep(2.5)
    assert _no_tracebacks(caplog) == []
    status, _ = await server.call("GET", "/healthz")
    assert status == 200


async def _gone_before_the_upgrade(port: int, path: str) -> None:
    """Send an upgrade request and reset the connection before the answer."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


async def test_clients_gone_before_the_upgrade_are_not_errors(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    event = await server.create_event()
    for _ in range(10):  # a phone that lost its network between the request and the 101
        await _gone_before_the_upgrade(server.port, f"/ws/events/{event.id}")
        await _gone_before_the_upgrade(server.port, f"/ws/host/{event.id}")
    await asyncio.sleep(0.5)
    assert _no_tracebacks(caplog) == []
    raw = await RawViewer.connect(server.port, f"/ws/events/{event.id}")
    assert (await raw.message())["type"] == "hello"
    raw.close()
