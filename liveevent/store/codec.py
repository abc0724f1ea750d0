"""The msgpack codec for stream entries and stored records (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import msgpack

from liveevent.errors import CorruptEntry


def text(value: bytes | str | None) -> str:
    """A Redis reply value as ``str`` (UTF-8); ``None`` (a missing field) as ``""``.

    Raises ``UnicodeDecodeError`` for bytes that are not UTF-8.
    """
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


def pack(record: dict[str, Any]) -> bytes:
    """``record`` as msgpack bytes (the msgpack specification; str as str, bytes as bin).

    Raises ``TypeError`` for a value msgpack cannot encode.
    """
    return msgpack.packb(record, use_bin_type=True)  # type: ignore[no-any-return]


def pack_open(record: dict[str, Any]) -> bytes:
    """``record`` packed without its last value, which must be None (nested: the last value
    of its last value, and so on): the store appends bytes it holds, already packed, in its
    place. A script can then copy a stored record into a new one without decoding either.

    Raises ``ValueError`` when the last value is not None, ``TypeError`` as ``pack`` does."""
    packed = pack(record)
    if not packed.endswith(b"\xc0"):  # msgpack nil
        raise ValueError("the last value of an open record must be None")
    return packed[:-1]


def unpack(blob: bytes) -> dict[str, Any]:
    """Decode one stored record; raises ``CorruptEntry`` on anything that is not a map."""
    try:
        value = msgpack.unpackb(blob, raw=False, strict_map_key=True, max_bin_len=1 << 20)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise CorruptEntry("a stored entry could not be decoded") from exc
    if not isinstance(value, dict):
        raise CorruptEntry("a stored entry is not a map")
    return value


def unpack_many(blobs: list[bytes]) -> list[dict[str, Any]]:
    """Decode many stored records at once (exports): one call, as if they were one array.

    Raises ``CorruptEntry`` if any of them is not a map.
    """
    header = b"\xdd" + len(blobs).to_bytes(4, "big")  # msgpack array 32
    try:
        values = msgpack.unpackb(
            header + b"".join(blobs), raw=False, strict_map_key=True, max_bin_len=1 << 20
        )
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise CorruptEntry("a stored entry could not be decoded") from exc
    if not all(type(value) is dict for value in values):
        raise CorruptEntry("a stored entry is not a map")
    return values  # type: ignore[no-any-return]
