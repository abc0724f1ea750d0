"""Malformed barrage: about thirty bad frames, each answered by its documented error or close
code (never a traceback, never a hang), while a control viewer still receives every card."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import msgpack
import pytest

from tests.reliability.rawws import BINARY, CLOSE, TEXT, RawViewer
from tests.reliability.support import Watcher
from tests.support import LiveServer

GOOD = {"type": "apply", "job_id": "j1", "name": "张三", "phone": "13812345678"}


def _apply(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes})


# (label, frame, expected error code, expected field named in "fields" or None). The connection
# stays open after each of these; "pong" means a normal answer.
ANSWERED: list[tuple[str, str | bytes, str, str | None]] = [
    ("not json", "hello there", "malformed", None),
    ("empty", "", "malformed", None),
    ("array", "[1, 2, 3]", "malformed", None),
    ("number", "123", "malformed", None),
    ("string", '"apply"', "malformed", None),
    ("null", "null", "malformed", None),
    ("truncated", '{"type": "apply", "job_id": "j1"', "malformed", None),
    ("deep object", '{"a":' * 200 + "1" + "}" * 200, "malformed", None),
    ("deep array", "[" * 30_000 + "]" * 30_000, "malformed", None),
    ("huge integer", '{"type": "ping", "ref": ' + "9" * 5000 + "}", "malformed", None),
    ("NaN ref", '{"type": "ping", "ref": NaN}', "malformed", None),
    ("object ref", '{"type": "ping", "ref": {"a": 1}}', "malformed", None),
    ("bool ref", '{"type": "ping", "ref": true}', "malformed", None),
    # A ref is sent back as it came; these cannot be (JSON text has no lone surrogate, and
    # orjson writes no integer past 64 bits): they used to raise while the answer was
    # written, log a traceback, break the frame and, for an apply, lose its answer.
    ("lone surrogate ref", '{"type": "ping", "ref": "\\ud800"}', "malformed", "ref"),
    ("lone surrogate ref, apply", _apply(ref="\udfff"), "malformed", "ref"),
    (
        "ref past 64 bits",
        '{"type": "ping", "ref": 123456789012345678901234567890, "x": "\\ud800"}',
        "malformed",
        "ref",
    ),
    ("no type", "{}", "not_found", "type"),
    ("unknown type", '{"type": "subscribe"}', "not_found", "type"),
    ("numeric type", '{"type": 5}', "not_found", "type"),
    ("missing fields", '{"type": "apply", "ref": "m"}', "invalid", "phone"),
    ("infinite phone", _apply(phone=1e999), "invalid", "phone"),
    (
        "huge float phone",
        '{"type": "apply", "job_id": "j1", "name": "a", "phone": 1e999}',
        "invalid",
        "phone",
    ),
    ("bad phone", _apply(phone="12345"), "invalid", "phone"),
    ("long name", _apply(name="名" * 51), "invalid", "name"),
    ("control chars", _apply(name="张\x00三"), "invalid", "name"),
    ("lone surrogate", _apply(name="\ud800张"), "invalid", "name"),
    ("unknown field", _apply(admin=True), "invalid", "admin"),
    ("unknown job", _apply(job_id="nope"), "not_found", "job_id"),
    ("bad job id", _apply(job_id="../../etc"), "invalid", "job_id"),
    ("long idempotency key", _apply(idempotency_key="k" * 200), "invalid", "idempotency_key"),
    ("binary junk", b"\xc1\xff\x00\x13garbage", "malformed", None),
    ("msgpack int keys", msgpack.packb({1: 2}), "malformed", None),
    ("msgpack list", msgpack.packb([1, 2]), "malformed", None),
]


async def _answer(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
        message: dict[str, Any] = json.loads(msg.data)
        if message["type"] != "viewers":
            return message


async def test_malformed_barrage(make_server: Callable[..., Awaitable[LiveServer]]) -> None:
    # Bad applies count toward the per-connection rate limit too: lift it for the barrage.
    server = await make_server(apply_rate_per_viewer=100)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/events/{event.id}"
    control = Watcher(await server.session.ws_connect(url))
    await control.next_of("hello")
    pushed = [(await server.push(event, "j1"))["card_id"]]

    ws = await server.session.ws_connect(url, max_msg_size=0)
    assert (await _answer(ws))["type"] == "hello"
    for label, frame, code, field in ANSWERED:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
        reply = await _answer(ws)
        assert reply["type"] == "error", (label, reply)
        assert reply["code"] == code, (label, reply)
        if field is not None:
            assert field in reply.get("fields", {}), (label, reply)
        assert "Traceback" not in json.dumps(reply)
    pushed.append((await server.push(event, "j2"))["card_id"])
    assert (await _answer(ws))["card"]["card_id"] == pushed[-1]
    # Still open and still served: a good message gets its answer.
    await ws.send_str(json.dumps({"type": "ping", "ref": "still"}))
    assert await _answer(ws) == {"type": "pong", "ref": "still"}
    await ws.send_bytes(msgpack.packb({"type": "ping", "ref": "mp"}))
    assert await _answer(ws) == {"type": "pong", "ref": "mp"}
    await ws.close()

    for card_id in pushed:
        assert (await control.next_of("card"))["card"]["card_id"] == card_id
    assert not control.closed
    await control.close()


# Frames that end the connection, each on its own, with the close code a client must expect.
CLOSING: list[tuple[str, int, bytes, int]] = [
    ("64 KiB + 1", TEXT, b"x" * (64 * 1024 + 1), 1009),
    ("64 KiB + 1 binary", BINARY, b"\x00" * (64 * 1024 + 1), 1009),
    ("invalid UTF-8", TEXT, b'{"type": "ping", "ref": "\xff\xfe"}', 1007),
    ("reserved opcode", 0x3, b"hi", 1002),
    ("continuation first", 0x0, b"stray", 1002),
]


@pytest.mark.parametrize(("label", "opcode", "payload", "code"), CLOSING)
async def test_frames_that_close_the_connection(
    server: LiveServer, label: str, opcode: int, payload: bytes, code: int
) -> None:
    event = await server.create_event()
    assert server.session is not None
    control = Watcher(await server.session.ws_connect(f"{server.url}/ws/events/{event.id}"))
    await control.next_of("hello")
    raw = await RawViewer.connect(server.port, f"/ws/events/{event.id}")
    assert (await raw.message())["type"] == "hello"
    await raw.send_frame(opcode, payload)
    with pytest.raises(ConnectionError):
        for _ in range(10):
            await raw.message()
    assert raw.close_code == code, label
    raw.close()
    card = await server.push(event, "j3")
    assert (await control.next_of("card"))["card"]["card_id"] == card["card_id"]
    await control.close()


async def test_close_frame_gets_a_close_back(server: LiveServer) -> None:
    event = await server.create_event()
    raw = await RawViewer.connect(server.port, f"/ws/events/{event.id}")
    await raw.message()
    await raw.send_frame(CLOSE, (1000).to_bytes(2, "big"))
    with pytest.raises(ConnectionError):
        await raw.message()
    assert raw.close_code == 1000
    raw.close()


async def test_bulk_status_change_refuses_ids_that_are_not_text(server: LiveServer) -> None:
    """A lone surrogate (valid JSON text, ``"\\ud800"``) as an application id reached the
    store's encoder and gave a 500 with a traceback; now it is 422 naming the field, and no
    application changes (all ids are checked before any is changed)."""
    event = await server.create_event()
    status, body = await server.apply(event, "j1", "13812345670")
    assert status == 201, body
    good = body["application_id"]
    assert server.session is not None
    for bad in ['"\\ud800"', '"1\\u0000"']:
        async with server.session.patch(
            f"{server.url}/api/events/{event.id}/applications",
            data=f'{{"status": "hired", "application_ids": ["{good}", {bad}]}}',
            headers={
                "Authorization": f"Bearer {event.staff_token}",
                "Content-Type": "application/json",
            },
        ) as resp:
            answer = await resp.json()
            assert resp.status == 422, (bad, answer)
            assert "application_ids" in answer["error"]["fields"], answer
    assert (await server.stats(event))["hires"] == 0


@pytest.mark.parametrize("mapping", ["[" * 2500, "9" * 5000], ids=["deep", "huge-number"])
async def test_a_sheets_mapping_that_is_not_json_is_refused_naming_it(
    server: LiveServer, mapping: str
) -> None:
    """``?mapping=`` (a JSON object in the query) nested 2,500 deep raised ``RecursionError``
    and a 5,000-digit number ``ValueError``: a 500 and a traceback, not a 422 naming it."""
    event = await server.create_event()
    assert server.session is not None
    async with server.session.post(
        f"{server.url}/api/events/{event.id}/jobs",
        params={"mapping": mapping},
        data=b"id,employer,title\r\nz1,a,b\r\n",
        headers={"Authorization": f"Bearer {event.staff_token}", "Content-Type": "text/csv"},
    ) as resp:
        body = await resp.json()
        assert resp.status == 422, body
        assert "mapping" in body["error"]["fields"], body
    status, jobs = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert status == 200 and "z1" not in {job["id"] for job in jobs["jobs"]}


@pytest.mark.parametrize("window", ["9" * 5000, "²"], ids=["5000-digits", "superscript"])
async def test_a_pushes_window_that_is_not_a_number_is_refused_naming_it(
    server: LiveServer, window: str
) -> None:
    """``window_min`` was checked with ``str.isdigit``, which a 5,000-digit number and ``²``
    pass, and then ``int()`` refused them: a 500 and a traceback."""
    event = await server.create_event()
    assert server.session is not None
    async with server.session.get(
        f"{server.url}/api/events/{event.id}/export/pushes.csv",
        params={"window_min": window},
        headers={"Authorization": f"Bearer {event.staff_token}"},
    ) as resp:
        body = await resp.json()
        assert resp.status == 422 and "window_min" in body["error"]["fields"], body
