"""Websocket frames: built once and written to many viewers, and the decoder every socket's
incoming messages go through.

A server-to-client frame is not masked, so the same bytes are valid on every connection: the
fan-out encodes a message once per push (JSON text and, if some viewer asked for it, msgpack
binary) and writes those bytes to each viewer (``web.wire`` says where). No compression:
permessage-deflate doubles fan-out time and costs ~100 KiB per viewer.

The frames are serialized by ``websockets``' own ``Frame.serialize`` (RFC 6455 section 5.2), not
by hand: it costs ~2.3 us more per message than the struct-packed header it replaced (3.0 us
against 0.64 us for a 512-byte card; 4.2 us against 1.2 us with the JSON encoding), once per
message and format, whatever the number of viewers: nothing next to the fan-out itself.
"""

from __future__ import annotations

from typing import Any

import msgpack
import orjson
from websockets.frames import Frame, Opcode

from liveevent.errors import MalformedBody
from liveevent.web.jsontext import parse_json

TEXT = int(Opcode.TEXT)  # 0x1
BINARY = int(Opcode.BINARY)  # 0x2
# Deepest nesting a client message may have (an apply is flat; 16 leaves room to grow).
MAX_DEPTH = 16


def frame(payload: bytes, opcode: int) -> bytes:
    """One complete, unmasked, final websocket frame (RFC 6455 section 5.2), serialized by
    ``websockets.frames.Frame``.

    FIN set, no extension bits, ``opcode`` (``TEXT``, ``BINARY``, or a control opcode) as
    given, the payload length in the 7-bit, 16-bit or 64-bit form as its size requires. A
    server's frames are never masked (section 5.1). Raises ``ValueError`` for an unknown
    opcode, ``websockets.exceptions.ProtocolError`` for a control frame over 125 bytes; a text
    payload's UTF-8 is not checked.
    """
    return Frame(Opcode(opcode), payload).serialize(mask=False, extensions=[])


# A websocket ping, final, no payload, unmasked (server to client): the heartbeat's.
PING_FRAME = frame(b"", Opcode.PING)


def unframe(data: bytes) -> tuple[int, bytes]:
    """The ``(opcode, payload)`` of one complete unmasked frame as ``frame`` builds it (the
    inverse of ``frame``, for ``web.wire``'s fallback, which hands payloads to aiohttp).

    Raises ``ValueError`` for bytes that are not exactly one such frame.
    """
    if len(data) < 2 or data[1] & 0x80:
        raise ValueError("not an unmasked websocket frame")
    size, start = data[1] & 0x7F, 2
    if size == 126:
        size, start = int.from_bytes(data[2:4]), 4
    elif size == 127:
        size, start = int.from_bytes(data[2:10]), 10
    if len(data) != start + size:
        raise ValueError("not exactly one websocket frame")
    return data[0] & 0x0F, data[start:]


def dumps(message: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (what ``json.dumps(separators=(",", ":"), ensure_ascii=False)``
    writes, at a twentieth of the cost: every apply's answer is one).

    Raises ``TypeError`` (``orjson.JSONEncodeError``) for a value JSON cannot carry, or
    an int beyond 64 bits."""
    return orjson.dumps(message)


class Outgoing:
    """A message for viewers, encoded lazily and at most once per format.

    ``cursor`` is the timeline position it stands for (``parse_cursor``'s tuple), or None
    for a message outside the timeline.
    Constructing it encodes nothing and raises nothing; the frame methods say what they raise.
    """

    __slots__ = ("_binary", "_text", "cursor", "message")

    def __init__(self, message: dict[str, Any], cursor: tuple[int, int] | None = None) -> None:
        self.message = message
        self.cursor = cursor
        self._text: bytes | None = None
        self._binary: bytes | None = None

    def text_frame(self) -> bytes:
        """The message as one JSON text frame (``frame``, ``TEXT``), made on first call.

        Raises as ``dumps`` does.
        """
        if self._text is None:
            self._text = frame(dumps(self.message), TEXT)
        return self._text

    def binary_frame(self) -> bytes:
        """The message as one msgpack binary frame (``frame``, ``BINARY``), made on first call.

        Raises ``TypeError`` for a value msgpack cannot encode.
        """
        if self._binary is None:
            self._binary = frame(msgpack.packb(self.message, use_bin_type=True), BINARY)
        return self._binary


def parse_cursor(value: str) -> tuple[int, int] | None:
    """A stream id ``"<ms>-<seq>"`` as a comparable tuple, or None if it is not one (both
    parts are unsigned 64-bit integers: the store refuses a larger one with an error).

    Only ASCII digits, at most 41 characters. Never raises."""
    ms, sep, seq = value.partition("-")
    # ASCII: "²" is a digit to isdigit but not to int(), and "١" one to int() but not to the
    # store (both were a traceback on a hand-edited ?since=).
    if not sep or not value.isascii() or not ms.isdigit() or not seq.isdigit() or len(value) > 41:
        return None
    cursor = int(ms), int(seq)
    if cursor[0] >= 2**64 or cursor[1] >= 2**64:
        return None
    return cursor


def decode(data: str | bytes, *, binary: bool) -> dict[str, Any]:
    """One client message: a JSON object (RFC 8259) in a text frame, or a msgpack map in a
    binary one. The frame is already bounded by the socket's ``max_message_bytes``.

    Raises ``MalformedBody`` if it is not valid JSON (or msgpack), not an object, or nested
    deeper than ``MAX_DEPTH``; never ``RecursionError`` (the parsers' own depth limits and the
    standard parser's ``RecursionError`` both become ``MalformedBody``).
    """
    try:
        if binary:
            # unpackb takes no buffer limit: the frame is bounded before it gets here.
            message = msgpack.unpackb(data, raw=False)
        else:
            message = parse_json(data)
    except (ValueError, TypeError, RecursionError, msgpack.UnpackException):
        raise MalformedBody("the message is not valid JSON (or msgpack)") from None
    if not isinstance(message, dict):
        raise MalformedBody("a message must be an object with a type")
    # A flat message (every apply) cannot be too deep: the walk stays off the hot path.
    for value in message.values():
        if isinstance(value, (dict, list)):
            if _depth(message) > MAX_DEPTH:
                raise MalformedBody("the message is nested too deeply")
            break
    return message


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level
