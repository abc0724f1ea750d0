"""What a malformed request leaves in the log of ``liveevent serve``.

aiohttp answers a request it cannot parse (a bad character in a header, a request line past
8 KiB) with 400, and used to log each one at ERROR with a traceback and an excerpt of the
request: its header line or its URL, with whatever the client put there (a phone number in a
query, a token in a header). Anyone could also fill the disk with tracebacks, one per
request. A malformed request is the client's fault, answered with 400: nothing is logged.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from tests.test_app_crash import ServeProcess

PHONE = "13912345678"
TOKEN = "tok-Zq8fLr2VbN6mXw4sHc0dJ9"

MALFORMED = [
    # A control character in a header value.
    f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\x01\r\n\r\n",
    # A request line too long to parse, with a phone in its query.
    f"GET /api/events/e1/applications?phone={PHONE}&pad={'x' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
    # A header line too long, with a phone in it.
    f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: {PHONE}{'y' * 9000}\r\n\r\n",
    # Not HTTP at all.
    f"{PHONE} {TOKEN}\r\n\r\n",
]


async def _send(port: int, request: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


async def test_malformed_requests_leave_no_traceback_and_none_of_their_text_in_the_log(
    store_url: str, tmp_path: Path
) -> None:
    serve = ServeProcess(store_url, tmp_path, f"test-{uuid.uuid4().hex[:12]}")
    await serve.start()
    try:
        for request in MALFORMED * 3:
            answer = await _send(serve.port, request)
            assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0], answer
        # The server is fine and still logs what it should.
        answer = await _send(serve.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b" 200 " in answer.split(b"\r\n")[0]
    finally:
        serve.kill()
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "listening on" in log
    assert PHONE not in log and TOKEN not in log
    assert "Traceback" not in log and "Error handling request" not in log
