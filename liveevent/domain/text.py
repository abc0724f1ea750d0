"""The one rule for invisible format characters in display text (names, employers, titles, ...).

Unicode format characters (general category Cf) draw nothing themselves but change what the
characters around them look like: U+202E RIGHT-TO-LEFT OVERRIDE shows ``abc`` as ``cba``,
U+200B ZERO WIDTH SPACE makes ``张三`` and ``张\u200b三`` look the same yet differ, and the
U+2066-2069 isolates that chat apps add on copy make a pasted name something else than what
was typed. Every input path (HTTP API, websocket apply, job and outcome sheets) passes display
text through `strip_format_chars` (``domain.values.text`` for API and socket bodies,
``tables.sheet.read_sheet`` for sheets), so what is stored is what a reader sees.

Strip rather than refuse: text copied from chat apps and web pages carries these characters
without the writer's knowledge, and refusing would blame them for something they cannot see.
A text that is nothing but format characters becomes empty, and the caller's usual "required"
check then names the field.

One exception, U+200D ZERO WIDTH JOINER between two emoji: it joins them into one picture
(👩‍💻, 👨‍👩‍👧) and is how people write those emoji in names and job titles. It is kept only
there; between letters (where it could hide a difference) it is stripped like the rest.
U+200C ZERO WIDTH NON-JOINER, needed in Persian and some Indic scripts, has no use in Chinese
or English text and is stripped.

The table below is Unicode 14.0's Cf set (Python 3.11's ``unicodedata``), written out so the
check costs one regex search; ``tests/domain/test_text.py`` compares it with ``unicodedata`` of
the running Python, so it cannot drift silently when Python's Unicode data is updated.

Pure: no I/O, nothing but ``re``.
"""

from __future__ import annotations

import re

# Unicode category Cf, without U+200D (handled below). Ranges are inclusive.
CF_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero width space/non-joiner/joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidi isolates, deprecated format characters
    (0xFEFF, 0xFEFF),  # BOM / zero width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters
)
ZWJ = "\u200d"


def _char_class(ranges: tuple[tuple[int, int], ...], *, without: str = "") -> str:
    parts: list[str] = []
    for low, high in ranges:
        for start, end in _split(low, high, ord(without) if without else -1):
            parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(end)) if end > start else ""))
    return "[" + "".join(parts) + "]"


def _split(low: int, high: int, hole: int) -> list[tuple[int, int]]:
    if not low <= hole <= high:
        return [(low, high)]
    return [(a, b) for a, b in ((low, hole - 1), (hole + 1, high)) if a <= b]


_FORMAT = re.compile(_char_class(CF_RANGES, without=ZWJ))
# Characters that can sit on either side of a joiner inside an emoji sequence: the pictographic
# blocks, the emoji presentation selector U+FE0F and the skin tone modifiers (in U+1F3FB-1F3FF).
_EMOJI = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\ufe0f\U0001f000-\U0001faff"
)
_STRAY_ZWJ = re.compile(rf"(?<![{_EMOJI}]){ZWJ}|{ZWJ}(?![{_EMOJI}])")


def strip_format_chars(value: str) -> str:
    """``value`` without Unicode format characters (category Cf), except U+200D between emoji.

    Returns the same string object when there is nothing to strip (the common case: every
    format character is outside ASCII, so ASCII text costs one ``isascii`` call). Never raises.
    """
    if value.isascii():
        return value
    if ZWJ in value:
        value = _STRAY_ZWJ.sub("", value)
    return _FORMAT.sub("", value)
