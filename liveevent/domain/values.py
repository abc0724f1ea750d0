"""Validation of untrusted scalar values, shared by every record that takes text from outside.

Each function returns the cleaned value or raises ``InvalidInput`` naming the field.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from liveevent.domain.text import strip_format_chars
from liveevent.errors import InvalidInput

# C0 and C1 controls (category Cc) but tab, LF and CR. C1 too: U+009B is a one-character CSI
# (a terminal escape: ``liveevent watch`` prints titles), U+0085 a line break.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def text(data: dict[str, Any], field: str, *, max_len: int, min_len: int = 1) -> str:
    """A required, trimmed, NFC-normalised string of ``min_len`` to ``max_len`` characters.

    Invisible format characters (Unicode category Cf: bidi overrides, zero-width spaces, ...)
    are stripped first (`liveevent.domain.text`); text made only of them is "required".
    NFC, not NFKC: display text keeps the full-width forms Chinese writers chose (``（上海）``);
    comparison keys fold those elsewhere. Raises ``InvalidInput`` naming ``field``.
    """
    value = optional_text(data, field, max_len=max_len, min_len=min_len)
    if value is None:
        raise InvalidInput(f"{field} is required", fields={field: "required"})
    return value


def optional_text(
    data: dict[str, Any], field: str, *, max_len: int, min_len: int = 1
) -> str | None:
    """Like ``text`` but absent, null or blank gives ``None``.

    Raises ``InvalidInput`` naming ``field`` for a non-string, lone surrogates, control
    characters, or a length outside ``min_len``-``max_len`` (characters, after trimming).
    """
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string", fields={field: "must be a string"})
    if _SURROGATE.search(value):  # JSON "\ud800" decodes to text no store can encode
        raise InvalidInput(f"{field} is not valid text", fields={field: "not valid text"})
    value = unicodedata.normalize("NFC", strip_format_chars(value)).strip()
    if _CONTROL.search(value):
        raise InvalidInput(
            f"{field} contains control characters", fields={field: "control characters"}
        )
    if not value:
        return None
    if len(value) < min_len or len(value) > max_len:
        why = f"must be {min_len}-{max_len} characters"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return value


def one_line(field: str, value: str | None) -> str | None:
    """``value`` (from ``text``/``optional_text``) if it holds no line break or tab: a name
    or contact shown inside a line of someone else's text (a console's "pushed by", the
    consent, an export row, a terminal) must not start lines of its own. Raises
    ``InvalidInput`` naming ``field``."""
    if value is not None and any(c in value for c in "\n\r\t"):
        why = "must be one line (no line breaks or tabs)"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return value


def identifier(data: dict[str, Any], field: str) -> str:
    """A required id chosen by a client: 1-64 of ``A-Z a-z 0-9 _ -``.

    An integer (not a bool) is taken as its decimal text. Raises ``InvalidInput`` naming
    ``field`` for anything else.
    """
    value = data.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _ID.match(value):
        why = "must be 1-64 letters, digits, '_' or '-'"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return value


def count(data: dict[str, Any], field: str, *, maximum: int) -> int | None:
    """An optional whole number from 0 to ``maximum``; None when absent or null.

    Raises ``InvalidInput`` naming ``field`` for a bool, a float, a string or one out of range.
    """
    value = data.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        why = f"must be a whole number from 0 to {maximum}"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return value


def timestamp(data: dict[str, Any], field: str) -> int | None:
    """An optional ISO 8601 date-time, returned as epoch milliseconds; None when absent.

    A time zone is required (``Z`` or an offset); at most 40 characters. Parsed by
    ``datetime.fromisoformat``. Raises ``InvalidInput`` naming ``field``.
    """
    value = data.get(field)
    if value is None:
        return None
    why = "must be an ISO 8601 date-time with a time zone"
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(f"{field} {why}", fields={field: why})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} {why}", fields={field: why}) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return int(parsed.timestamp() * 1000)


def check_all(checks: dict[str, Callable[[], Any]], *, what: str) -> dict[str, Any]:
    """Run every field's check; the parsed values, or one ``InvalidInput`` naming every bad
    field (a form shows all its mistakes at once, not the first one).

    Returns ``{field: parsed value}`` in the order of ``checks``. Raises ``InvalidInput``
    whose message names ``what`` and whose ``fields`` hold every problem; only
    ``InvalidInput`` is collected, any other error of a check propagates."""
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, check in checks.items():
        try:
            parsed[field] = check()
        except InvalidInput as exc:
            problems.update(exc.fields)
    if problems:
        raise InvalidInput(f"the {what} has invalid fields", fields=problems)
    return parsed


def iso(ms: int) -> str:
    """Epoch milliseconds as an ISO 8601 UTC string (what the wire carries).

    Shape ``YYYY-MM-DDTHH:MM:SS.mmmZ``. Raises only for a time ``datetime`` cannot hold
    (``OverflowError``, ``OSError`` or ``ValueError``, outside years 1-9999).
    """
    seconds, millis = divmod(ms, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@functools.lru_cache(maxsize=4096)
def _iso_second(seconds: int) -> str:
    # Exports format a million timestamps that fall in a few thousand seconds: the datetime
    # work is done once per second.
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def url(data: dict[str, Any], field: str) -> str | None:
    """An optional ``http://`` or ``https://`` URL of at most 2000 characters, no spaces.

    None when absent or blank. Only the scheme and the absence of whitespace are checked, not
    RFC 3986 syntax. Raises ``InvalidInput`` naming ``field``.
    """
    value = optional_text(data, field, max_len=2000)
    if value is not None and not re.match(r"^https?://[^\s]+$", value):
        why = "must be an http(s) URL"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return value


def only_fields(data: object, allowed: frozenset[str], *, what: str) -> dict[str, Any]:
    """``data`` as a dict, refusing non-objects and unknown fields.

    Returns ``data`` itself (not a copy). Raises ``InvalidInput`` naming ``what`` for a
    non-object, or naming every unknown field at once.
    """
    if not isinstance(data, dict):
        raise InvalidInput(f"{what} must be a JSON object", fields={what: "must be an object"})
    if data.keys() <= allowed:
        return data
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InvalidInput(
            f"unknown field(s): {', '.join(unknown)}",
            fields={k: "unknown field" for k in unknown},
        )
    return data
