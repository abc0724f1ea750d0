"""Replay: the recording of a broadcast, with its cards shown again at their moments.

Theory of operation: after the broadcast, staff set the recording's address (an MP4, WebM or
HLS playlist on the organiser's own storage) as a ``Replay``. Each card pushed during the
broadcast becomes a ``Cue``: the milliseconds from going live to its push (``at_ms``) and to
the moment it left the screen (``until_ms``: its withdrawal, the next push or the end). The
timeline's first ``state: live`` record is the go-live moment; the recording shows that moment
``offset_s`` seconds in (a recording often starts before the host goes live). In the video, a
cue shows from ``offset_s + at - lead_in_s`` (the lead-in brings a card up a little before the
host's words about it) until ``offset_s + until`` (it leaves when it left the broadcast), and
the card on screen at a time is the last cue shown by then that has not left (``card_at``).
The viewer page applies the same rule to the same windows (``static/js/viewer-replay.js``).

Cases the timeline allows and what they give (``tests/domain/test_replays.py``, one table):

- a withdrawn card ends at its withdrawal; a card followed by another ends at the next push;
  the last card ends when the event ended, or never (None) if it has not;
- no go-live record (an event taken from scheduled straight to ended): no cues;
- several go-live records (not possible through the state machine, but a rebuilt or hand-made
  timeline may hold them): the first one counts, later ones are ignored;
- a card whose ``pushed_at`` is before the go-live (two nodes' clocks a little apart): its
  offset is 0, never negative; an end before the go-live is clamped the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.cards import JobCard, TimelineKind
from liveevent.domain.pushes import pushes_from_timeline
from liveevent.errors import InvalidInput

REPLAY_FIELDS = frozenset({"url", "lead_in_s", "offset_s"})
MAX_URL_CHARS = 2000
MAX_LEAD_IN_S = 120.0
MAX_OFFSET_S = 12 * 3600.0
DEFAULT_LEAD_IN_S = 3.0
# The recording's kind is read from its path: the player needs to know whether it is HLS.
_PLAYABLE = re.compile(r"^https?://[^\s?#]+\.(mp4|m4v|webm|m3u8)(?:[?#]\S*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Replay:
    """An event's recording as staff set it: ``url`` (http(s), at most ``MAX_URL_CHARS``,
    its path ending ``.mp4``, ``.m4v``, ``.webm`` or ``.m3u8``), ``lead_in_s`` (seconds a
    card appears before its moment, 0-``MAX_LEAD_IN_S``), ``offset_s`` (where in the recording
    the event went live, seconds, 0-``MAX_OFFSET_S``), ``set_at`` (Unix ms) and ``set_by``
    (the name of the grant that set it).

    Build it from a request with ``parse`` (raises ``InvalidInput``); the constructor checks
    nothing.
    """

    url: str
    lead_in_s: float
    offset_s: float
    set_at: int
    set_by: str

    @classmethod
    def parse(cls, data: object, *, now: int, by: str) -> Replay:
        """A replay from ``{"url", "lead_in_s"?, "offset_s"?}`` (``lead_in_s`` defaults to
        ``DEFAULT_LEAD_IN_S``, ``offset_s`` to 0). Raises ``InvalidInput`` naming every bad
        or unknown field."""
        body = values.only_fields(data, REPLAY_FIELDS, what="body")
        parsed = values.check_all(
            {
                "url": lambda: _url(body),
                "lead_in_s": lambda: _seconds(body, "lead_in_s", MAX_LEAD_IN_S, DEFAULT_LEAD_IN_S),
                "offset_s": lambda: _seconds(body, "offset_s", MAX_OFFSET_S, 0.0),
            },
            what="replay",
        )
        return cls(**parsed, set_at=now, set_by=by)

    @property
    def is_hls(self) -> bool:
        """Whether the recording is an HLS playlist (``.m3u8``). Raises nothing."""
        path = re.split(r"[?#]", self.url, maxsplit=1)[0]
        return path.lower().endswith(".m3u8")

    def to_record(self) -> dict[str, Any]:
        """The stored form: every field by name. Raises nothing."""
        return {
            "url": self.url,
            "lead_in_s": self.lead_in_s,
            "offset_s": self.offset_s,
            "set_at": self.set_at,
            "set_by": self.set_by,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Replay:
        """The inverse of ``to_record``. Raises ``KeyError`` for a record without ``url``."""
        return cls(
            url=record["url"],
            lead_in_s=float(record.get("lead_in_s", DEFAULT_LEAD_IN_S)),
            offset_s=float(record.get("offset_s", 0.0)),
            set_at=int(record.get("set_at", 0)),
            set_by=str(record.get("set_by", "")),
        )

    def to_wire(self) -> dict[str, Any]:
        """What viewers get: ``{"url", "hls", "lead_in_s", "offset_s", "set_at"}``, ``set_at``
        as ISO 8601 UTC text (who set it is for staff: ``set_by`` is left out). Raises
        nothing."""
        return {
            "url": self.url,
            "hls": self.is_hls,
            "lead_in_s": self.lead_in_s,
            "offset_s": self.offset_s,
            "set_at": values.iso(self.set_at),
        }


def _url(body: dict[str, Any]) -> str:
    value = values.url(body, "url")
    if value is None:
        raise InvalidInput("url is required", fields={"url": "required"})
    if len(value) > MAX_URL_CHARS or not _PLAYABLE.match(value):
        why = "must be an http(s) address of an .mp4, .m4v, .webm or .m3u8 (HLS) recording"
        raise InvalidInput(f"url {why}", fields={"url": why})
    return value


def _seconds(body: dict[str, Any], field: str, maximum: float, default: float) -> float:
    value = body.get(field)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= maximum:
        why = f"must be a number of seconds from 0 to {maximum:g}"
        raise InvalidInput(f"{field} {why}", fields={field: why})
    return round(float(value), 3)


@dataclass(frozen=True, slots=True)
class Cue:
    """One card of the broadcast, placed on the recording: ``at_ms`` after going live it was
    pushed, ``until_ms`` after going live it left the screen (None: it never did).

    Both are whole milliseconds, never negative, ``until_ms >= at_ms``. Raises nothing.
    """

    card: JobCard
    at_ms: int
    until_ms: int | None

    def window(self, replay: Replay) -> tuple[float, float | None]:
        """The seconds of the recording during which this card shows: ``(from, until)``,
        ``from = offset_s + at - lead_in_s`` (at least 0), ``until = offset_s + until_ms``
        (None: to the end). Raises nothing."""
        start = max(0.0, replay.offset_s + self.at_ms / 1000 - replay.lead_in_s)
        if self.until_ms is None:
            return round(start, 3), None
        return round(start, 3), round(replay.offset_s + self.until_ms / 1000, 3)

    def to_wire(self, replay: Replay) -> dict[str, Any]:
        """``{"card": JobCard.to_wire(), "at_s", "until_s", "from_s", "to_s"}``: the offsets
        from going live (seconds; ``until_s`` None if it never left) and the window in the
        recording (``window``). Raises nothing."""
        start, end = self.window(replay)
        return {
            "card": self.card.to_wire(),
            "at_s": self.at_ms / 1000,
            "until_s": None if self.until_ms is None else self.until_ms / 1000,
            "from_s": start,
            "to_s": end,
        }


def live_at(records: Iterable[dict[str, Any]]) -> int | None:
    """The Unix ms of the first ``state: live`` record among timeline ``records`` (oldest
    first), or None if the event never went live. Raises ``KeyError`` for a state record
    without ``at`` (callers pass records ``cards.is_timeline_record`` accepted)."""
    for record in records:
        if record["kind"] == TimelineKind.STATE and record["state"] == "live":
            return int(record["at"])
    return None


def cues_from_timeline(records: Sequence[dict[str, Any]]) -> list[Cue]:
    """Every card of the timeline ``records`` (as stored, oldest first) as a ``Cue``, in push
    order; the cases are in the module docstring. An event that never went live has none.

    Raises what ``pushes.pushes_from_timeline`` raises for a record that is not a timeline
    record (``ValueError``, ``KeyError``).
    """
    origin = live_at(records)
    if origin is None:
        return []
    cues = []
    for push in pushes_from_timeline(records):
        at = max(0, push.card.pushed_at - origin)
        until = None if push.until is None else max(at, push.until - origin)
        cues.append(Cue(push.card, at, until))
    return cues


def card_at(cues: Sequence[Cue], replay: Replay, position_s: float) -> Cue | None:
    """The cue on screen at ``position_s`` seconds into the recording: of the cues whose
    window holds it (``from <= position_s < until``), the one pushed last; None if none does.

    The viewer page's ``cardAt`` is the same rule. Raises nothing.
    """
    showing = None
    for cue in cues:
        start, end = cue.window(replay)
        if start <= position_s and (end is None or position_s < end):
            showing = cue
    return showing


def card_ids(cues: Iterable[Cue]) -> frozenset[str]:
    """The card ids of ``cues``: those a replay application may name. Raises nothing."""
    return frozenset(cue.card.card_id for cue in cues)
