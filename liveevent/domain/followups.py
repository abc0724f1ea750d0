"""Follow-up after hire: is a hire still in the job at 7 and at 30 days? (issue 17 part 4)

Theory of operation. A *hire* is an application whose current status is ``hired``; its hire
date is the time of its last move into ``hired`` (the status stream's ``at``). Each hire has
two *checks*, ``7d`` and ``30d``, due ``Checkpoint.days`` days after the hire date. Staff, or
the hire's employer, record a *mark* on a check: ``retained`` (still in the job), ``left`` or
``unknown`` (could not reach anyone), with who recorded it (the grant's name and role) and
when. A later mark on the same check corrects the earlier one; every mark is kept in a stream,
the latest per check in a derived index (``store/followups.py``).

When a mark may be recorded: ``left`` at any time after the hire (someone who left on day 3
has left at day 7 and at day 30); ``retained`` and ``unknown`` only once the check is due (a
"still there at 30 days" recorded on day 10 would be a guess). A mark on an application that
is not (or no longer) hired is refused.

The rate. For each check, every current hire is in exactly one of: ``retained``, ``left``,
``unknown``, ``pending`` (due, no mark yet) or ``not_due`` (not due and no mark). The
retention rate is ``retained / (retained + left)``; it is ``None`` when that is 0. Unknown,
pending and not-yet-due hires are counted apart and never in the rate.

Pure: callers pass ``now`` (Unix ms).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from liveevent.domain import values
from liveevent.errors import Conflict, InvalidInput

DAY_MS = 86_400_000


class Checkpoint(enum.StrEnum):
    """A follow-up check; the value is the wire and store text. Raises nothing."""

    D7 = "7d"
    D30 = "30d"

    @property
    def days(self) -> int:
        """Days after the hire date when the check is due (7 or 30)."""
        return 7 if self is Checkpoint.D7 else 30

    def due_at(self, hired_at: int) -> int:
        """Unix ms when the check of a hire made at ``hired_at`` (Unix ms) is due."""
        return hired_at + self.days * DAY_MS


class Retention(enum.StrEnum):
    """What a mark says; the value is the wire and store text. Raises nothing."""

    RETAINED = "retained"
    LEFT = "left"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Mark:
    """One recorded check: ``application_id``, ``checkpoint``, ``result``, ``by`` (the
    grant's name), ``role`` (staff, admin or employer), ``at`` (Unix ms). Raises nothing."""

    application_id: str
    checkpoint: Checkpoint
    result: Retention
    by: str
    role: str
    at: int

    def to_record(self) -> dict[str, Any]:
        """The stored form (msgpack-able). Raises nothing."""
        return {
            "application_id": self.application_id,
            "checkpoint": str(self.checkpoint),
            "result": str(self.result),
            "by": self.by,
            "role": self.role,
            "at": self.at,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Mark:
        """The inverse of ``to_record``. Raises ``KeyError``/``ValueError`` for a bad record."""
        return cls(
            application_id=str(record["application_id"]),
            checkpoint=Checkpoint(record["checkpoint"]),
            result=Retention(record["result"]),
            by=str(record["by"]),
            role=str(record["role"]),
            at=int(record["at"]),
        )

    def to_wire(self) -> dict[str, Any]:
        """``{"result", "by", "role", "at" (ISO 8601)}``. Raises nothing."""
        return {"result": str(self.result), "by": self.by, "role": self.role,
                "at": values.iso(self.at)}  # fmt: skip


def parse_mark(data: object) -> tuple[Checkpoint, Retention]:
    """``{"checkpoint": "7d"|"30d", "result": "retained"|"left"|"unknown"}`` from a body.

    Raises ``InvalidInput`` naming each wrong or unknown field.
    """
    body = values.only_fields(data, frozenset({"checkpoint", "result"}), what="body")
    problems: dict[str, str] = {}
    checkpoint = result = None
    try:
        checkpoint = Checkpoint(str(body.get("checkpoint")))
    except ValueError:
        problems["checkpoint"] = "must be one of 7d, 30d"
    try:
        result = Retention(str(body.get("result")))
    except ValueError:
        problems["result"] = "must be one of retained, left, unknown"
    if checkpoint is None or result is None:
        raise InvalidInput("the follow-up has invalid fields", fields=problems)
    return checkpoint, result


def check_mark(checkpoint: Checkpoint, result: Retention, *, hired_at: int, now: int) -> None:
    """Refuse a mark that cannot be true yet (module docstring): ``retained`` or ``unknown``
    before the check is due. Raises ``InvalidInput`` naming ``result``."""
    due = checkpoint.due_at(hired_at)
    if result is not Retention.LEFT and now < due:
        why = f"the {checkpoint} check is due at {values.iso(due)}; before that only left"
        raise InvalidInput(why, fields={"result": why})


def require_hired(hired_at: int | None) -> int:
    """The hire date, or ``Conflict`` when the application is not hired now. Raises that."""
    if hired_at is None:
        raise Conflict("the application is not hired: only a hire is followed up")
    return hired_at


@dataclass(slots=True)
class CheckFigures:
    """One check's counts over a set of hires (module docstring) and the rate."""

    retained: int = 0
    left: int = 0
    unknown: int = 0
    pending: int = 0
    not_due: int = 0

    @property
    def rate(self) -> float | None:
        """``retained / (retained + left)``, rounded to 4 places; None when both are 0."""
        marked = self.retained + self.left
        return round(self.retained / marked, 4) if marked else None

    def add(self, other: CheckFigures) -> None:
        """Add ``other``'s counts to these (across employers or fairs). Raises nothing."""
        self.retained += other.retained
        self.left += other.left
        self.unknown += other.unknown
        self.pending += other.pending
        self.not_due += other.not_due

    def to_wire(self) -> dict[str, Any]:
        """``{"retained", "left", "unknown", "pending", "not_due", "rate"}``."""
        return {"retained": self.retained, "left": self.left, "unknown": self.unknown,
                "pending": self.pending, "not_due": self.not_due, "rate": self.rate}  # fmt: skip


@dataclass(slots=True)
class RetentionFigures:
    """Both checks' figures over a set of hires; ``hires`` how many."""

    hires: int = 0
    checks: dict[Checkpoint, CheckFigures] = field(
        default_factory=lambda: {c: CheckFigures() for c in Checkpoint}
    )

    def add(self, other: RetentionFigures) -> None:
        """Add ``other`` (another employer's or fair's figures). Raises nothing."""
        self.hires += other.hires
        for checkpoint in Checkpoint:
            self.checks[checkpoint].add(other.checks[checkpoint])

    def to_wire(self) -> dict[str, Any]:
        """``{"hires", "7d": CheckFigures, "30d": CheckFigures}``."""
        return {"hires": self.hires, **{str(c): f.to_wire() for c, f in self.checks.items()}}


@dataclass(frozen=True, slots=True)
class Hire:
    """A current hire: ``application_id``, its ``employer`` and ``hired_at`` (Unix ms)."""

    application_id: str
    employer: str
    hired_at: int


def tally(
    hires: Iterable[Hire], marks: dict[tuple[str, Checkpoint], Mark], *, now: int
) -> tuple[RetentionFigures, dict[str, RetentionFigures]]:
    """The fair's retention and each employer's (keyed by the name as on its jobs).

    ``marks`` is the latest mark per (application id, checkpoint); marks of applications that
    are not in ``hires`` (no longer hired) are ignored. Raises nothing.
    """
    fair = RetentionFigures()
    per_employer: dict[str, RetentionFigures] = {}
    for hire in hires:
        own = per_employer.setdefault(hire.employer, RetentionFigures())
        one = RetentionFigures(hires=1)
        for checkpoint in Checkpoint:
            figures = one.checks[checkpoint]
            mark = marks.get((hire.application_id, checkpoint))
            if mark is not None:
                setattr(figures, str(mark.result), 1)
            elif now >= checkpoint.due_at(hire.hired_at):
                figures.pending = 1
            else:
                figures.not_due = 1
        own.add(one)
        fair.add(one)
    return fair, per_employer


def due_checks(hired_at: int, marked: Iterable[Checkpoint], *, now: int) -> list[Checkpoint]:
    """The checks of a hire that are due at ``now`` and have no mark yet. Raises nothing."""
    done = set(marked)
    return [c for c in Checkpoint if c not in done and now >= c.due_at(hired_at)]
