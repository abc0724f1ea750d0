"""Job cards and the event timeline.

The timeline is the ordered story a viewer must see: a card pushed, a card withdrawn, the event
going live or ending, and a job's hire count changing (its positions remaining,
``domain.openings``). Each entry is stored once in the timeline stream and reaches viewers as
one message; its stream id is the viewer's resume cursor.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.jobs import Job
from liveevent.errors import LiveEventError


class TimelineKind(enum.StrEnum):
    """A timeline record's ``kind``: the value is the stored text.

    ``TimelineKind(text)`` raises ``ValueError`` for any other text.
    """

    CARD = "card"
    WITHDRAW = "withdraw"
    STATE = "state"
    # A job's confirmed hires changed (appended by the status scripts, store/scripts.py).
    OPENINGS = "openings"
    QUESTION = "question"  # a question shown, answered or hidden (domain/questions.py)


@dataclass(frozen=True, slots=True)
class JobCard:
    """A job on screen: pushed by the host at ``pushed_at`` (epoch ms).

    ``job`` is the job as stored when the card was pushed (a later edit does not change it).
    ``pushed_by`` names the host who pushed it (``Grant.name``: "host" for the event's own
    host token, "宁波演播室" for a named one); None on cards pushed before it was recorded.
    Constructing one checks nothing and raises nothing.
    """

    card_id: str
    job: Job
    pushed_at: int
    pushed_by: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The stored form (``card_fields``, with the job's record). Raises nothing."""
        return card_fields(
            self.card_id, self.pushed_at, self.job.to_record(), pushed_by=self.pushed_by
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> JobCard:
        """The inverse of ``to_record``. Raises ``KeyError`` for a missing field, and what
        ``Job.from_record`` raises for a bad job."""
        return cls(
            card_id=record["card_id"],
            job=Job.from_record(record["job"]),
            pushed_at=record["pushed_at"],
            pushed_by=record.get("pushed_by"),
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object viewers get: ``{"card_id", "job": Job.to_wire(), "pushed_at",
        "pushed_by"}``, ``pushed_at`` as ISO 8601 UTC text, ``pushed_by`` the host's name (or
        None). Raises nothing for a card built by this module."""
        return {
            "card_id": self.card_id,
            "job": self.job.to_wire(),
            "pushed_at": values.iso(self.pushed_at),
            "pushed_by": self.pushed_by,
        }


def timeline_message(record: dict[str, Any], cursor: str) -> dict[str, Any]:
    """The viewer message for one timeline record (as stored) at ``cursor``.

    Raises ``TypeError`` (or ``LookupError``, ``ValueError``) if ``record`` is not a timeline
    record, including one whose fields JSON cannot carry (bytes, say): fields are copied into
    the message as stored, and a hand-made entry may hold anything."""
    kind = TimelineKind(record["kind"])
    message: dict[str, Any]
    if kind is TimelineKind.CARD:
        card = JobCard.from_record(record["card"])
        message = {"type": "card", "card": card.to_wire(), "cursor": cursor}
    elif kind is TimelineKind.WITHDRAW:
        message = {"type": "withdraw", "card_id": _text(record["card_id"]), "cursor": cursor}
        if record.get("by") is not None:
            message["by"] = _text(record["by"])
    elif kind is TimelineKind.OPENINGS:
        hires = record["hires"]
        if not isinstance(hires, int) or isinstance(hires, bool):
            raise TypeError("an openings record's hires is not a count")
        message = {
            "type": "openings",
            "job_id": _text(record["job_id"]),
            "hires": hires,
            "cursor": cursor,
        }
    elif kind is TimelineKind.QUESTION:
        question = record["question"]
        if not isinstance(question, dict):
            raise TypeError("a question entry without its question")
        _text(question["question_id"]), _text(question["card_id"])
        message = {"type": "question", "question": question, "cursor": cursor}
    else:
        message = {"type": "state", "state": _text(record["state"]), "cursor": cursor}
    _check_plain(message)
    return message


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a timeline field that should be text is not")
    return value


def _check_plain(value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` is JSON's kind of data: maps with text keys, lists,
    text, numbers, booleans and null."""
    if isinstance(value, dict):
        for key, item in value.items():
            _text(key)
            _check_plain(item)
    elif isinstance(value, list):
        for item in value:
            _check_plain(item)
    elif value is not None and not isinstance(value, (str, int, float)):
        raise TypeError(f"a timeline field holds {type(value).__name__}")


def is_timeline_record(record: Any) -> bool:
    """Whether ``record`` (a decoded timeline entry) is a record this module can read: a card
    with its job, a withdrawal, a state change or a hire count, each with the fields readers
    use. A hand-made or partly restored entry can decode to any map; readers skip one that is
    not.

    Never raises: every error of the check means False."""
    try:
        timeline_message(record, "0-0")
        if record["kind"] != TimelineKind.CARD:
            int(record["at"])
    except (LiveEventError, LookupError, TypeError, ValueError, AttributeError):
        return False
    return True


def card_fields(
    card_id: str, pushed_at: int, job: dict[str, Any] | None, *, pushed_by: str | None = None
) -> dict[str, Any]:
    """A card as stored. The job's record comes last, so that a card packed with ``job=None``
    can be completed by the store with the job's stored bytes (store/events.py: push_card).

    ``{"card_id", "pushed_at" (epoch ms), ["pushed_by",] "job" (a job record, or None)}``,
    ``pushed_by`` only when given; raises nothing."""
    fields: dict[str, Any] = {"card_id": card_id, "pushed_at": pushed_at}
    if pushed_by is not None:
        fields["pushed_by"] = pushed_by
    fields["job"] = job
    return fields


def card_entry(fields: dict[str, Any]) -> dict[str, Any]:
    """The timeline record of a card push (``fields`` from ``card_fields``).

    ``{"kind": "card", "card": fields}``; raises nothing.
    """
    return {"kind": str(TimelineKind.CARD), "card": fields}


def withdraw_record(card_id: str, at: int, *, by: str | None = None) -> dict[str, Any]:
    """The timeline record of a withdrawal: ``{"kind": "withdraw", "card_id", "at"[, "by"]}``,
    ``at`` in epoch ms, ``by`` the name of the host who withdrew it (left out when None).
    Raises nothing."""
    record: dict[str, Any] = {"kind": str(TimelineKind.WITHDRAW), "card_id": card_id, "at": at}
    if by is not None:
        record["by"] = by
    return record


def openings_record(job_id: str, hires: int, at: int) -> dict[str, Any]:
    """The timeline record of a job's hire count changing: ``{"kind": "openings", "job_id",
    "hires", "at"}``, ``hires`` the job's confirmed hires after the change, ``at`` epoch ms.

    The status scripts (store/scripts.py ``STATUS``/``STATUS_MANY``) write the same map in
    Lua, in the step that changes the count; this is its statement on the Python side (and
    what tests compare with). Viewers get ``{"type": "openings", "job_id", "hires",
    "cursor"}`` and work out what is left with ``domain.openings.remaining``. Raises nothing.
    """
    return {"kind": str(TimelineKind.OPENINGS), "job_id": job_id, "hires": hires, "at": at}


def state_record(state: str, at: int) -> dict[str, Any]:
    """The timeline record of a state change: ``{"kind": "state", "state", "at"}``, ``at``
    in epoch ms. Raises nothing (``state`` is not checked here)."""
    return {"kind": str(TimelineKind.STATE), "state": state, "at": at}
