"""Card pushes and what each one brought: the per-push breakdown organisers report.

Theory of operation: every application stores the ``card_id`` that was on screen when it was
made. A push is on screen from ``pushed_at`` until it is withdrawn, replaced by the next push or
the event ends. ``pushes_from_timeline`` rebuilds the pushes from the timeline records (oldest
first); ``PushBreakdown`` then takes the applications one at a time (so a million of them cost
no memory) and counts, per push:

- ``applications``: made while this card was on screen (for any job);
- ``applications_for_job``: those of them for the card's own job;
- ``applications_within``: applications for the card's job made in the ``window_ms`` after the
  push (whatever was on screen by then: viewers apply late from "jobs shown so far");
- ``hires`` / ``hires_for_job``: how many of ``applications`` / ``applications_for_job`` are
  hired now.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from liveevent.domain.applications import Application, Status
from liveevent.domain.cards import JobCard, TimelineKind


@dataclass(frozen=True, slots=True)
class Push:
    """A card as it was pushed; ``until`` is when it left the screen (None: still on it).

    ``until`` is epoch ms, like the card's ``pushed_at``; ``withdrawn_by`` names the host who
    withdrew it (None: not withdrawn, or withdrawn before names were recorded). The host who
    pushed it is ``card.pushed_by``. Raises nothing.
    """

    card: JobCard
    until: int | None
    withdrawn_by: str | None = None


def pushes_from_timeline(records: Iterable[dict[str, Any]]) -> list[Push]:
    """The pushes in timeline ``records`` (as stored, oldest first).

    Returns them in push order; each ends at its withdrawal, the next push or the event's end.
    Other records (a job's hire count, ``openings``) do not end a push.
    Raises ``ValueError`` for an unknown ``kind``, ``KeyError`` for a record missing a field
    (callers pass records that ``cards.is_timeline_record`` accepted).
    """
    cards: list[JobCard] = []
    ends: list[int | None] = []
    by: dict[int, str] = {}  # index of a withdrawn push -> who withdrew it
    for record in records:
        kind = TimelineKind(record["kind"])
        if kind is TimelineKind.CARD:
            card = JobCard.from_record(record["card"])
            if ends and ends[-1] is None:
                ends[-1] = card.pushed_at
            cards.append(card)
            ends.append(None)
        elif ends and ends[-1] is None:
            if kind is TimelineKind.WITHDRAW and record["card_id"] == cards[-1].card_id:
                ends[-1] = int(record["at"])
                if record.get("by") is not None:
                    by[len(cards) - 1] = record["by"]
            elif kind is TimelineKind.STATE and record["state"] == "ended":
                ends[-1] = int(record["at"])
    return [
        Push(card, until, by.get(index))
        for index, (card, until) in enumerate(zip(cards, ends, strict=True))
    ]


@dataclass(slots=True)
class _Tally:
    applications: int = 0
    applications_for_job: int = 0
    applications_within: int = 0
    hires: int = 0
    hires_for_job: int = 0


@dataclass(frozen=True, slots=True)
class PushRow:
    """One push and its counts (module docstring), as ``PushBreakdown.rows`` gives them.

    Raises nothing.
    """

    push: Push
    applications: int
    applications_for_job: int
    applications_within: int
    hires: int
    hires_for_job: int

    @property
    def on_screen_ms(self) -> int | None:
        """Milliseconds the card was on screen, or None while it still is. Raises nothing."""
        return None if self.push.until is None else self.push.until - self.push.card.pushed_at


@dataclass(slots=True)
class PushBreakdown:
    """The per-push counts, filled one application at a time (module docstring).

    ``pushes`` from ``pushes_from_timeline``; ``window_ms`` the ``applications_within`` window
    in milliseconds. Memory grows with the pushes, not the applications.
    Constructing it raises nothing.
    """

    pushes: Sequence[Push]
    window_ms: int
    _by_card: dict[str, _Tally] = field(default_factory=dict)
    _by_job: dict[str, tuple[list[int], list[str]]] = field(default_factory=dict)
    _card_job: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for push in self.pushes:
            self._by_card[push.card.card_id] = _Tally()
            self._card_job[push.card.card_id] = push.card.job.id
            times, ids = self._by_job.setdefault(push.card.job.id, ([], []))
            times.append(push.card.pushed_at)
            ids.append(push.card.card_id)

    def add(self, application: Application, status: Status) -> None:
        """Count one application with its current status; returns None.

        An application made under no known card (``card_id`` None or unknown) still counts
        for ``applications_within``. Raises nothing.
        """
        hired = status is Status.HIRED
        tally = self._by_card.get(application.card_id or "")
        if tally is not None:
            tally.applications += 1
            tally.hires += hired
            if self._card_job[application.card_id or ""] == application.job_id:
                tally.applications_for_job += 1
                tally.hires_for_job += hired
        times, ids = self._by_job.get(application.job_id, ([], []))
        # Every push of this job within the window before the application counts it.
        index = bisect.bisect_right(times, application.applied_at) - 1
        while index >= 0 and application.applied_at - times[index] < self.window_ms:
            self._by_card[ids[index]].applications_within += 1
            index -= 1

    def rows(self) -> list[PushRow]:
        """One ``PushRow`` per push, in the order of ``pushes``, with the counts so far.

        Raises nothing.
        """
        out = []
        for push in self.pushes:
            t = self._by_card[push.card.card_id]
            out.append(
                PushRow(
                    push,
                    t.applications,
                    t.applications_for_job,
                    t.applications_within,
                    t.hires,
                    t.hires_for_job,
                )
            )
        return out
