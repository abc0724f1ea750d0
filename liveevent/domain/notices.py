"""Notices: messages to people (reminders now; status changes later), sent through a webhook.

Theory of operation. A notice is a message for one recipient with a stable ``key``: the
idempotency key the receiver sees in every attempt at it. Notices wait in a durable outbox
(``store/outbox.py``) until due; a sender (``web/notifier.py``) POSTs each one as JSON to the
organiser's webhook, signed with HMAC-SHA256. Its answer decides what happens next
(``classify``): a 2xx means sent; a 408, a 429, a 5xx, a timeout or a refused connection mean
try again after ``backoff_s``; any other answer (a 4xx: the receiver refuses this message) and
the last allowed attempt mean *dead*: kept, visible to staff, not tried again.

This module is pure: callers pass the clock (``now``, Unix ms) and the randomness of the jitter.

The signature: ``X-Liveevent-Signature: sha256=<hex>`` where ``<hex>`` is
``HMAC-SHA256(secret, "<timestamp>." + raw body)`` and ``<timestamp>`` is the
``X-Liveevent-Timestamp`` header (Unix seconds). The timestamp is signed with the body so a
captured request cannot be replayed later with a fresh timestamp; ``verify`` is the receiver's
side, for tests and for anyone writing one.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from liveevent.errors import InvalidInput

SIGNATURE_HEADER = "X-Liveevent-Signature"
TIMESTAMP_HEADER = "X-Liveevent-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ERROR_CHARS = 200  # of a failed attempt's reason, kept with a dead notice


class NoticeKind(enum.StrEnum):
    """What a notice is about; the value is the wire and store text. Raises nothing."""

    REMINDER = "reminder"  # before the start, at an offset (``ReminderOffset``)
    LIVE = "live"  # the event has gone live
    TEST = "test"  # ``liveevent notify test``
    STATUS = "status"  # an applicant's status changed (issue 17 part 4, domain.status_notices)


class NoticeState(enum.StrEnum):
    """Where a notice is in the outbox (``store/outbox.py`` holds the moves).

    scheduled -> queued (due: moved to the send queue) -> sent | scheduled (retry) | dead;
    scheduled or queued -> cancelled (a reminder made pointless by go-live). Raises nothing.
    """

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"


class Outcome(enum.StrEnum):
    """What to do after an attempt (``classify``). Raises nothing."""

    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Notice:
    """One message in the outbox.

    ``key``: the idempotency key (1-200 printable characters), unique across the store;
    ``recipient``: whom the gateway should reach (a normalised phone); ``payload``: a JSON
    object for the gateway (text, names, links); ``due_at``/``created_at`` Unix ms;
    ``attempts`` made so far; ``last_error`` the reason of the last failed one (no personal
    data). The constructor checks nothing; ``check`` raises ``InvalidInput``.
    """

    key: str
    event_id: str
    kind: NoticeKind
    recipient: str
    payload: dict[str, Any]
    due_at: int
    created_at: int
    attempts: int = 0
    last_error: str | None = None

    def check(self) -> Notice:
        """Return self if the key is usable as a header value; raises ``InvalidInput``."""
        if not 1 <= len(self.key) <= 200 or not self.key.isprintable() or not self.key.isascii():
            why = "must be 1-200 printable ASCII characters"
            raise InvalidInput(f"key {why}", fields={"key": why})
        return self

    def to_record(self) -> dict[str, Any]:
        """The stored form, every field by name. Raises nothing."""
        return {
            "key": self.key,
            "event_id": self.event_id,
            "kind": str(self.kind),
            "recipient": self.recipient,
            "payload": self.payload,
            "due_at": self.due_at,
            "created_at": self.created_at,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Notice:
        """The inverse of ``to_record``. Raises ``KeyError``/``ValueError`` for a bad record."""
        return cls(
            key=record["key"],
            event_id=record["event_id"],
            kind=NoticeKind(record["kind"]),
            recipient=record["recipient"],
            payload=record["payload"],
            due_at=record["due_at"],
            created_at=record["created_at"],
            attempts=record.get("attempts", 0),
            last_error=record.get("last_error"),
        )

    def failed(self, reason: str) -> Notice:
        """This notice after one more failed attempt (``reason`` cut to
        ``MAX_ERROR_CHARS``). Raises nothing."""
        return replace(self, attempts=self.attempts + 1, last_error=reason[:MAX_ERROR_CHARS])


def webhook_body(notice: Notice, *, attempt: int) -> bytes:
    """The JSON body POSTed for one attempt (UTF-8, Chinese unescaped).

    ``{"id", "idempotency_key", "event_id", "kind", "recipient", "payload", "attempt",
    "created_at"}``; ``id`` and ``idempotency_key`` are both the notice's key; ``attempt``
    counts from 1. Raises nothing (the payload was JSON when it was enqueued).
    """
    return json.dumps(
        {
            "id": notice.key,
            "idempotency_key": notice.key,
            "event_id": notice.event_id,
            "kind": str(notice.kind),
            "recipient": notice.recipient,
            "payload": notice.payload,
            "attempt": attempt,
            "created_at": notice.created_at,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def sign(secret: bytes, timestamp_s: int, body: bytes) -> str:
    """The signature header's value: ``"sha256=" + hex(HMAC-SHA256(secret, b"<ts>." +
    body))``. Raises nothing."""
    mac = hmac.new(secret, str(timestamp_s).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now_s: float,
    tolerance_s: float = 300,
) -> bool:
    """The receiver's check: True if ``signature`` is ``sign(secret, timestamp, body)`` and
    the timestamp is within ``tolerance_s`` of ``now_s``. Constant-time compare of bytes;
    raises nothing: a timestamp not written as the signer writes it (ASCII digits, no sign,
    space, underscore or leading zero) or a header that is not ASCII is False."""
    if not (timestamp.isascii() and timestamp.isdigit()) or timestamp != str(int(timestamp)):
        return False
    ts = int(timestamp)
    if abs(now_s - ts) > tolerance_s:
        return False
    try:
        given = signature.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(sign(secret, ts, body).encode(), given)


def classify(status: int | None, *, attempts: int, max_attempts: int) -> Outcome:
    """What an attempt's answer means; ``status`` None for a timeout or a refused connection,
    ``attempts`` made so far including this one.

    2xx: SENT. 408, 429, 5xx and None: RETRY, or DEAD once ``attempts`` reaches
    ``max_attempts``. Any other status: DEAD at once (the receiver refuses this message,
    and the same bytes would be refused again). Raises nothing.
    """
    if status is not None and 200 <= status < 300:
        return Outcome.SENT
    retryable = status is None or status in (408, 429) or status >= 500
    if retryable and attempts < max_attempts:
        return Outcome.RETRY
    return Outcome.DEAD


def backoff_s(attempts: int, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` failed ones (>= 1).

    Exponential with "equal jitter": half of ``min(cap_s, base_s * 2 ** (attempts - 1))``
    fixed, plus ``jitter`` (in [0, 1), the caller's random draw) times the other half, so that
    a receiver that comes back is not hit by every retry at once, and a wait never shrinks to
    nothing. Raises nothing.
    """
    ceiling = min(cap_s, base_s * float(2 ** max(0, attempts - 1)))
    return ceiling / 2 + ceiling / 2 * jitter


# Reminder offsets ---------------------------------------------------------------------------

_OFFSET = re.compile(r"^(\d{1,6})([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LIVE_LABEL = "live"


@dataclass(frozen=True, slots=True)
class ReminderOffset:
    """A reminder time: ``seconds`` before the start (``label`` as written, e.g. ``"30m"``),
    or, with ``label == "live"``, the moment the host takes the event live. Raises nothing."""

    label: str
    seconds: int

    @property
    def at_go_live(self) -> bool:
        """True for the go-live reminder. Raises nothing."""
        return self.label == LIVE_LABEL


def parse_offsets(raw: object) -> tuple[ReminderOffset, ...]:
    """Offsets from ``"1d,30m,live"`` (or a list of such words): ``<n>s|m|h|d`` before the
    start, or ``live``. Each label at most once; order kept. Raises ``ValueError`` naming the
    bad word (``config`` turns it into ``InvalidInput`` naming the setting)."""
    words = raw.split(",") if isinstance(raw, str) else [str(w) for w in raw]  # type: ignore[attr-defined]
    out: list[ReminderOffset] = []
    for word in (w.strip().lower() for w in words):
        if not word:
            continue
        if word == LIVE_LABEL:
            offset = ReminderOffset(LIVE_LABEL, 0)
        else:
            match = _OFFSET.match(word)
            if match is None or int(match.group(1)) == 0:
                raise ValueError(f"{word!r} is not an offset like 1d, 30m, 90s or 'live'")
            offset = ReminderOffset(word, int(match.group(1)) * _UNIT_S[match.group(2)])
        if any(o.label == offset.label for o in out):
            raise ValueError(f"{word!r} is given twice")
        out.append(offset)
    return tuple(out)


def reminder_plan(
    offsets: tuple[ReminderOffset, ...], *, starts_at: int | None, now: int
) -> list[tuple[ReminderOffset, int]]:
    """The reminders to schedule for a sign-up made at ``now``: each offset before the
    start whose time (``starts_at - seconds``, Unix ms) is still in the future, with that
    time. None without a start time; the go-live reminder is never in it (it is sent when the
    event goes live). Raises nothing."""
    if starts_at is None:
        return []
    plan = []
    for offset in offsets:
        if offset.at_go_live:
            continue
        due = starts_at - offset.seconds * 1000
        if due > now:
            plan.append((offset, due))
    return plan


def reminder_key(event_id: str, signup_id: str, label: str) -> str:
    """The idempotency key of one sign-up's reminder: ``"rem:<event>:<signup>:<label>"``
    (stable: the same reminder always has the same key). Raises nothing."""
    return f"rem:{event_id}:{signup_id}:{label}"


def reminder_payload(
    *, title: str, starts_at_iso: str | None, viewer_url: str, name: str, label: str
) -> dict[str, Any]:
    """What a reminder tells the gateway: ``{"name", "event_title", "starts_at", "url",
    "when", "text"}``, ``text`` a ready-to-send Chinese message. Raises nothing."""
    if label == LIVE_LABEL:
        text = f"【招聘会提醒】{title} 正在直播，点击观看并投递简历：{viewer_url}"
    else:
        start = starts_at_iso or ""
        text = f"【招聘会提醒】您预约的 {title} 将于 {start} 开始，观看地址：{viewer_url}"
    return {
        "name": name,
        "event_title": title,
        "starts_at": starts_at_iso,
        "url": viewer_url,
        "when": label,
        "text": text,
    }
