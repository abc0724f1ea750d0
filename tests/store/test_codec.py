"""Property tests (hypothesis) for the msgpack codec (``store/codec.py``), moved here from
tests/domain/test_properties.py so that tests/ mirrors the package.

Synchronous, no event loop, no store: the codec is pure.
"""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveevent.errors import CorruptEntry
from liveevent.store import codec

# The msgpack codec ------------------------------------------------------------------------

records = st.dictionaries(
    st.text(max_size=10),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64 - 1)
        | st.floats(allow_nan=False)
        | st.text(max_size=40)
        | st.binary(max_size=40),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        ),
        max_leaves=16,
    ),
    max_size=8,
)


@given(records)
def test_codec_round_trip(record: dict[str, object]) -> None:
    assert codec.unpack(codec.pack(record)) == _tuples_to_lists(record)


@given(records, records, st.text(max_size=6), st.text(max_size=6))
def test_an_open_record_completed_with_packed_bytes_is_the_whole_record(
    outer: dict[str, object], tail: dict[str, object], key: str, inner_key: str
) -> None:
    # What scripts.TIMELINE does with a card: the open card plus the job's stored bytes.
    outer = {k: v for k, v in outer.items() if k != key}
    nested = {inner_key: None}
    open_record = {**outer, key: nested}
    whole = codec.pack_open(open_record) + codec.pack(tail)
    assert codec.unpack(whole) == _tuples_to_lists({**outer, key: {inner_key: tail}})


def test_an_open_record_must_end_with_none() -> None:
    with pytest.raises(ValueError, match="None"):
        codec.pack_open({"a": None, "b": 1})


def _tuples_to_lists(value: object) -> object:
    if isinstance(value, dict):
        return {k: _tuples_to_lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tuples_to_lists(v) for v in value]
    return value


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_codec_garbage_raises_corrupt_entry(blob: bytes) -> None:
    try:
        value = codec.unpack(blob)
    except CorruptEntry:
        return
    assert isinstance(value, dict)


@given(records, st.data())
def test_codec_damaged_entries_never_crash(record: dict[str, object], data: st.DataObject) -> None:
    blob = bytearray(codec.pack(record))
    if not blob:
        return
    cut = data.draw(st.integers(min_value=0, max_value=len(blob)))
    flips = data.draw(st.lists(st.integers(min_value=0, max_value=len(blob) - 1), max_size=3))
    for i in flips:
        blob[i] ^= 0xFF
    try:
        codec.unpack(bytes(blob[:cut]))
    except CorruptEntry:
        pass


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        msgpack.packb([1, 2]),
        msgpack.packb("text"),
        msgpack.packb({1: "int key"}),
        b"\x81\x92\x01\x02\x01",  # a map whose key is an array
        b"\xc1",  # never used
        b"\xdd\xff\xff\xff\xff",  # an array claiming 4 billion items
        b"\xdb\xff\xff\xff\xff",  # a string claiming 4 GiB
        b"\x91" * 100_000,  # nested far too deep
        msgpack.packb({"a": 1}) + b"\x00",  # extra data after the map
        b"\xd4\xff\x00",  # a timestamp extension of the wrong size
    ],
)
def test_codec_known_bad_entries(blob: bytes) -> None:
    with pytest.raises(CorruptEntry):
        codec.unpack(blob)


def test_text_reads_a_reply_value() -> None:
    assert (codec.text(b"\xe4\xba\xac"), codec.text("s"), codec.text(None)) == ("京", "s", "")
