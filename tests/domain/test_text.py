"""The format-character rule (``liveevent.domain.text``), synchronously, without a server."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from liveevent.domain.text import CF_RANGES, ZWJ, strip_format_chars
from liveevent.domain.values import optional_text, text
from liveevent.errors import InvalidInput


def test_the_table_is_unicode_category_cf() -> None:
    # Written out for speed; held here to the running Python's Unicode data, so an update
    # of Python (and of Unicode) that adds a format character shows up as a failure.
    table = {c for low, high in CF_RANGES for c in range(low, high + 1)} | {ord(ZWJ)}
    actual = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert table == actual


def test_every_format_char_is_stripped_everywhere_in_the_text() -> None:
    for low, high in CF_RANGES:
        for code in range(low, high + 1):
            char = chr(code)
            assert strip_format_chars(f"{char}张{char}三{char}") == "张三", f"U+{code:04X}"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("abc\u202edef", "abcdef"),  # shown as "abcfed" if kept
        ("\u2068+86 138 0000 0001\u2069", "+86 138 0000 0001"),  # a chat app's isolates
        ("飞书\u200b科技", "飞书科技"),
        ("Zhang\u00adsan", "Zhangsan"),  # soft hyphen
        ("👩\u200d💻", "👩\u200d💻"),  # an emoji sequence keeps its joiner
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"),  # after the emoji presentation selector
        ("张\u200d三", "张三"),  # a joiner between letters hides a difference
        ("a\u200d👩", "a👩"),
        ("👩\u200d\u202eb", "👩b"),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "🏴"),  # tags
        ("plain ASCII", "plain ASCII"),
        ("（上海）全角", "（上海）全角"),  # not a format character: kept as written
    ],
)
def test_cases(raw: str, clean: str) -> None:
    assert strip_format_chars(raw) == clean
    assert strip_format_chars(clean) == clean  # idempotent


def test_only_format_chars_is_required_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        text({"employer": "\u202e\u200b\ufeff"}, "employer", max_len=100)
    assert caught.value.fields == {"employer": "required"}
    assert optional_text({"location": "\u2066\u2069"}, "location", max_len=100) is None


def test_length_is_counted_after_stripping() -> None:
    padded = "\u200b" * 60 + "王芳"
    assert text({"name": padded}, "name", max_len=50) == "王芳"
