"""The websocket frames (RFC 6455 section 5.2, serialized by ``websockets``), read back by
``websockets``' own frame parser, and the decoder of client messages."""

from __future__ import annotations

import json
from collections.abc import Generator

import msgpack
import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from liveevent.errors import MalformedBody
from liveevent.web.frames import (
    BINARY,
    MAX_DEPTH,
    PING_FRAME,
    TEXT,
    Outgoing,
    decode,
    frame,
    parse_cursor,
)


def _parse(data: bytes) -> Frame:
    """One frame as a client reads it (unmasked, no extensions), via websockets."""
    reader = StreamReader()
    reader.feed_data(data)
    parser: Generator[None, None, Frame] = Frame.parse(
        reader.read_exact, mask=False, max_size=None, extensions=[]
    )
    try:
        next(parser)
    except StopIteration as done:
        assert not reader.buffer, "bytes left after the frame"
        parsed: Frame = done.value
        return parsed
    raise AssertionError("the frame is incomplete")


# Each length encoding: 7-bit, 16-bit (126) and 64-bit (127), at their edges.
@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
@pytest.mark.parametrize(("opcode", "op"), [(TEXT, Opcode.TEXT), (BINARY, Opcode.BINARY)])
def test_a_frame_is_what_websockets_reads(size: int, opcode: int, op: object) -> None:
    payload = bytes(i % 251 for i in range(size))
    parsed = _parse(frame(payload, opcode))
    assert (parsed.opcode, parsed.fin, parsed.data) == (op, True, payload)
    assert not (parsed.rsv1 or parsed.rsv2 or parsed.rsv3)  # no compression bit


def test_outgoing_encodes_each_format_once() -> None:
    message = {"type": "card", "title": "仓储管理员", "n": 3}
    out = Outgoing(message, cursor=(1, 2))
    text, binary = out.text_frame(), out.binary_frame()
    assert out.text_frame() is text and out.binary_frame() is binary  # built once, shared
    assert json.loads(bytes(_parse(text).data)) == message
    assert msgpack.unpackb(_parse(binary).data, raw=False) == message


@pytest.mark.parametrize(
    ("value", "cursor"),
    [
        ("0-0", (0, 0)),
        ("1700000000000-5", (1700000000000, 5)),
        (f"{2**64 - 1}-{2**64 - 1}", (2**64 - 1, 2**64 - 1)),
        (f"{2**64}-0", None),
        ("1700000000000", None),
        ("-1-0", None),
        ("²-0", None),
        ("١-0", None),
        ("1-0" + "0" * 40, None),
    ],
)
def test_parse_cursor(value: str, cursor: tuple[int, int] | None) -> None:
    assert parse_cursor(value) == cursor


def test_decode_reads_json_text_and_msgpack_binary() -> None:
    message = {"type": "apply", "job_id": "j1"}
    assert decode(json.dumps(message), binary=False) == message
    assert decode(msgpack.packb(message), binary=True) == message
    # Text orjson refuses (a lone surrogate) still reaches the field checks.
    assert decode('{"name": "\\ud800"}', binary=False) == {"name": "\ud800"}


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        ("not json", False),
        ("[1, 2]", False),
        (b"\xc1", True),
        (msgpack.packb([1]), True),
        ('{"a":' * (MAX_DEPTH + 2) + "1" + "}" * (MAX_DEPTH + 2), False),
        ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", False),
    ],
)
def test_decode_refuses_with_malformed_body(data: str | bytes, binary: bool) -> None:
    with pytest.raises(MalformedBody):
        decode(data, binary=binary)


def test_the_heartbeat_ping_is_an_empty_final_ping() -> None:
    parsed = _parse(PING_FRAME)
    assert (parsed.opcode, parsed.fin, parsed.data) == (Opcode.PING, True, b"")
