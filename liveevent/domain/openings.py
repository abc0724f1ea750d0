"""Positions remaining: a job's openings minus its confirmed hires (issue 16, part 3).

Theory of operation: a job states its headcount as two ends (``Job.openings``, the low end, and
``Job.openings_max``, the top end; ``None`` for an open end, both ``None`` for 若干/unknown).
Staff and employers confirm hires (status ``hired``); every change of a job's hire count reaches
viewers as a timeline entry (``cards.openings_record``), and each page works out what is left
with this one rule (``static/js/openings.js`` mirrors it; ``tests/data/openings.json`` holds
both to the same table of cases).

The rule, by the headcount's shape (``h`` = hires, never below 0):

    headcount            h below the low end       h between the ends   h at/over the top end
    exact n (n, n)       EXACT n-h                 -                    FILLED
    range a-b (a, b)     RANGE a-h .. b-h          UP_TO b-h            FILLED
    at most b (None, b)  UP_TO b-h                 UP_TO b-h            FILLED
    at least a (a, None) AT_LEAST a-h              OPEN (hires only)    (no top end: never)
    unknown (None, None) OPEN (hires only)         OPEN                 (never)

So "left" of a range counts against its top end (the most the employer said it would take)
and says so ("up to"); a job with no top end is never filled by counting, and shows how many
were hired instead. An exact 0 is filled from the start (staff can close a job that way).

A filled job still takes applications, as a waiting list (候补): hires fall through (declined
offers, no-shows move an application out of ``hired`` and the place opens again), the count
is only as good as what staff and employers have recorded so far, and a refused applicant is
lost for good. Pages say the job is filled and that applying now joins the waiting list.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Left(enum.StrEnum):
    """What is left of a job's openings (the module's table). The value is the wire text."""

    EXACT = "exact"  # ``low`` places left (low == high)
    RANGE = "range"  # ``low``-``high`` places left
    UP_TO = "up_to"  # up to ``high`` places left
    AT_LEAST = "at_least"  # at least ``low`` more wanted; no top end
    OPEN = "open"  # no number left to state: show the hires
    FILLED = "filled"  # none left (applications join the waiting list)


@dataclass(frozen=True, slots=True)
class Remaining:
    """A job's positions remaining: ``kind`` (``Left``), the places left as ``low``/``high``
    (``None`` where ``kind`` gives none: see the module's table), and ``hires`` (>= 0).

    The constructor checks nothing and raises nothing; build one with ``remaining``.
    """

    kind: Left
    low: int | None
    high: int | None
    hires: int

    @property
    def filled(self) -> bool:
        """True when no place is left (new applications join the waiting list)."""
        return self.kind is Left.FILLED

    def to_wire(self) -> dict[str, Any]:
        """``{"kind", "low", "high", "hires", "filled"}``: JSON-ready; raises nothing."""
        return {
            "kind": str(self.kind),
            "low": self.low,
            "high": self.high,
            "hires": self.hires,
            "filled": self.filled,
        }


def remaining(openings: int | None, openings_max: int | None, hires: int) -> Remaining:
    """The positions remaining of a job whose headcount is ``openings``..``openings_max`` (as
    ``Job`` holds them) after ``hires`` confirmed hires (a negative count reads as 0).

    The one statement of the rule (module docstring); raises nothing.
    """
    hires = max(0, hires)
    low, high = openings, openings_max
    if high is None:
        if low is not None and hires < low:
            return Remaining(Left.AT_LEAST, low - hires, None, hires)
        return Remaining(Left.OPEN, None, None, hires)
    if hires >= high:
        return Remaining(Left.FILLED, 0, 0, hires)
    if low is not None and low == high:
        return Remaining(Left.EXACT, high - hires, high - hires, hires)
    if low is not None and hires < low:
        return Remaining(Left.RANGE, low - hires, high - hires, hires)
    return Remaining(Left.UP_TO, None, high - hires, hires)
