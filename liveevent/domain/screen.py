"""What every viewer sees: the event's state and the card on screen, as the timeline moves them.

Theory of operation: this module is the one statement of the screen's rules. The store runs the
same rules inside its TIMELINE script (``store/scripts.py``), where they must hold atomically
with the append, and ``store/rebuild.py`` folds the stored timeline with ``Screen.after``; one
table of cases (``tests/store/test_rule_tables.py``) runs through all three so they cannot
drift.

- A card can be pushed only while the event is live (``check_push``); it replaces the card on
  screen, if any.
- Only the card on screen can be withdrawn, and only while there is one (``check_withdraw``).
- The event's state moves as ``events.TRANSITIONS`` allows; when the event ends, the card on
  screen comes off with it (``card_after_state``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveevent.domain.cards import TimelineKind
from liveevent.domain.events import EventState, check_transition
from liveevent.errors import Conflict


def check_push(state: EventState) -> None:
    """Returns None if a card may be pushed in ``state``: only while ``LIVE``.

    Raises ``Conflict`` otherwise (nothing changes).
    """
    if state is not EventState.LIVE:
        raise Conflict(f"cards can only be pushed while the event is live (it is {state})")


def check_withdraw(on_screen: str | None, card_id: str) -> None:
    """Returns None if ``card_id`` is the card on screen (``on_screen``, None for none).

    Raises ``Conflict`` when there is no card on screen, or another one is.
    """
    if on_screen is None or on_screen == "":
        raise Conflict("there is no card on screen to withdraw")
    if on_screen != card_id:
        raise Conflict("the card on screen changed meanwhile; nothing was withdrawn")


def card_after_state(target: EventState, on_screen: str | None) -> str | None:
    """The card on screen once the event has moved to ``target``: none when it ends, the same
    one otherwise. Raises nothing."""
    return None if target is EventState.ENDED else on_screen


@dataclass(frozen=True, slots=True)
class Screen:
    """The event's ``state`` and the id of the card on screen (``card_id``, None for none).

    Each move returns the screen after it, or raises ``Conflict`` and changes nothing; ``after``
    replays a stored timeline record without checks (it was checked when it was written).
    """

    state: EventState = EventState.SCHEDULED
    card_id: str | None = None

    def push(self, card_id: str) -> Screen:
        """Put card ``card_id`` on screen. Raises ``Conflict`` unless live (``check_push``)."""
        check_push(self.state)
        return Screen(self.state, card_id)

    def withdraw(self, card_id: str) -> Screen:
        """Take card ``card_id`` down. Raises ``Conflict`` (``check_withdraw``)."""
        check_withdraw(self.card_id, card_id)
        return Screen(self.state, None)

    def move(self, target: EventState) -> Screen:
        """Move the event to ``target`` (``events.check_transition``, which raises
        ``Conflict``); the card comes off when it ends (``card_after_state``)."""
        check_transition(self.state, target)
        return Screen(target, card_after_state(target, self.card_id))

    def after(self, record: dict[str, Any]) -> Screen:
        """The screen after one stored timeline record (``cards.card_entry``,
        ``withdraw_record``, ``state_record``, ``openings_record`` or
        ``questions.question_record``), without checking the move.

        Raises ``ValueError`` for an unknown kind or state, ``KeyError`` for a missing field.
        """
        kind = TimelineKind(record["kind"])
        if kind is TimelineKind.CARD:
            return Screen(self.state, str(record["card"]["card_id"]))
        if kind is TimelineKind.WITHDRAW:
            return Screen(self.state, None)
        if kind is TimelineKind.OPENINGS:
            return self  # a job's hire count (issue 16): the screen is as it was
        if kind is TimelineKind.QUESTION:  # a question shown under the card moves nothing
            return self
        target = EventState(record["state"])
        return Screen(target, card_after_state(target, self.card_id))
