"""Questions on the card on screen (issue 17 part 2): the rules, without I/O.

Theory of operation. While a card is up, a viewer asks a question about its job (``AskRequest``:
the card, an optional name, the text). It waits, unseen by other viewers, in the host console's
queue (``PENDING``). Host or staff *approve* it (everyone sees it under the card), *hide* it, or
*answer* it (everyone sees it with the answer); the job's employer may answer its own jobs'
questions. Each move is one row of ``TRANSITIONS`` (status, action) -> status; any other move
raises ``Conflict`` and changes nothing. ``HIDDEN`` is not final: a question hidden by mistake can
be approved or answered again. ``ANSWERED`` may be answered again (a correction).

What everyone sees (``Question.public_wire``) carries the asker's name masked by ``mask_name``
(the one rule, with its table of cases in ``tests/domain/test_questions.py``) and never a phone
number: a question or answer holding one is refused (``check_no_phone``), not masked, so the
asker knows at once why and nothing personal is stored.

Pure: no I/O, no clock (callers pass ``now``, epoch ms).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import phonenumbers

from liveevent.domain import values
from liveevent.domain.cards import TimelineKind
from liveevent.domain.events import EventState
from liveevent.domain.phones import fold_phone_text
from liveevent.errors import Conflict, InvalidInput

MAX_TEXT = 200  # characters of a question (after trimming)
MAX_NAME = 20  # characters of the asker's name
MAX_ANSWER = 500  # characters of an answer
MAX_QUESTIONS = 20_000  # questions per event (a bound on the store and on the host's list)


class QuestionStatus(enum.StrEnum):
    """Where a question is (the module docstring). ``QuestionStatus(text)`` raises
    ``ValueError`` for any other text."""

    PENDING = "pending"
    APPROVED = "approved"
    ANSWERED = "answered"
    HIDDEN = "hidden"


class QuestionAction(enum.StrEnum):
    """What a host, staff or employer does to a question. ``QuestionAction(text)`` raises
    ``ValueError`` for any other text."""

    APPROVE = "approve"
    HIDE = "hide"
    ANSWER = "answer"


S, A = QuestionStatus, QuestionAction
# The one transition table: (from, action) -> to. Anything else is refused.
TRANSITIONS: dict[tuple[QuestionStatus, QuestionAction], QuestionStatus] = {
    (S.PENDING, A.APPROVE): S.APPROVED,
    (S.PENDING, A.HIDE): S.HIDDEN,
    (S.PENDING, A.ANSWER): S.ANSWERED,
    (S.APPROVED, A.HIDE): S.HIDDEN,
    (S.APPROVED, A.ANSWER): S.ANSWERED,
    (S.ANSWERED, A.HIDE): S.HIDDEN,
    (S.ANSWERED, A.ANSWER): S.ANSWERED,
    (S.HIDDEN, A.APPROVE): S.APPROVED,
    (S.HIDDEN, A.ANSWER): S.ANSWERED,
}
# Shown to every viewer under the card.
PUBLIC = frozenset({S.APPROVED, S.ANSWERED})


def transition(status: QuestionStatus, action: QuestionAction) -> QuestionStatus:
    """The status after ``action`` on a question in ``status`` (``TRANSITIONS``).

    Raises ``Conflict`` (changing nothing) for a move the table does not have."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise Conflict(f"a question that is {status} cannot be given '{action}'") from None


def check_ask(state: EventState, on_screen: str | None, card_id: str) -> None:
    """Returns None if a question about card ``card_id`` may be asked: only while the event is
    live and only about the card on screen (``on_screen``, None for none). The store's ASK
    script applies the same rule atomically with the write (``tests/store/test_questions.py``
    runs one table of cases through both).

    Raises ``Conflict`` (naming ``card_id`` when another card, or none, is on screen)."""
    if state is not EventState.LIVE:
        raise Conflict(f"questions can be asked only while the fair is live (it is {state})")
    if on_screen is None or on_screen == "" or on_screen != card_id:
        raise Conflict(
            "that card is no longer on screen; ask about the one shown now",
            fields={"card_id": "not on screen"},
        )


# --- the asker's name, masked -------------------------------------------------------------


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


def mask_name(name: str | None) -> str:
    """The asker's name as everyone sees it. The one rule (cases in the tests' table):

    - none or blank: ``""`` (the page shows its own word for "a viewer");
    - a name starting with a Chinese character: that character and one ``*`` per further
      character (``张三丰`` -> ``张**``, ``张三`` -> ``张*``); a one-character name shows only
      ``*`` (its first character is the whole name);
    - any other name (Latin, Cyrillic, digits, emoji...): its first character and ``***``
      whatever its length (``Alice Wang`` -> ``A***``; counting stars would tell the length of
      a short, guessable Latin name); a one-character name is ``*``.

    Never raises; ``name`` is display text already cleaned by ``values``."""
    if name is None:
        return ""
    name = name.strip()
    if not name:
        return ""
    chars = list(name)
    if len(chars) == 1:
        return "*"
    first = chars[0]
    if _is_han(first):
        return first + "*" * (len(chars) - 1)
    return first + "***"


# --- no phone numbers in public text ------------------------------------------------------

# A run of seven or more digits (QQ numbers, landlines without separators, half-hidden mobiles).
_LONG_DIGITS = re.compile(r"\d{7,}")
_GAPS = re.compile(r"(?<=\d)[ .]+(?=\d)")
# A range between two numbers (``8000-12000``, ``8000 ~ 12000``): the numbers are counted apart.
_RANGE = re.compile(r"(?<=\d)\s*[-~\uff5e\u2010-\u2015\u2212]\s*(?=\d)")


def contains_phone(text: str) -> bool:
    """Whether ``text`` holds something that reads as a phone number: what libphonenumber's
    matcher finds (region CN, valid numbers: ``138 0013 8000``, ``+852 9123 4567``,
    ``010-12345678``), or seven or more digits in a row once full-width digits are folded and
    spaces and dots between digits are dropped; a dash or tilde between digits is read as a
    range (``8000-12000``, ``8000 ~ 12000``) and each side is counted on its own (the matcher
    still finds ``138-0013-8000``). Never raises."""
    folded = fold_phone_text(text)
    for _ in phonenumbers.PhoneNumberMatcher(folded, "CN", leniency=phonenumbers.Leniency.VALID):
        return True
    for token in _RANGE.split(folded):
        if _LONG_DIGITS.search(_GAPS.sub("", token)):
            return True
    return False


def check_no_phone(field: str, text: str | None) -> None:
    """Returns None, or raises ``InvalidInput`` naming ``field`` if ``text`` holds a phone
    number (``contains_phone``): questions and answers are shown publicly."""
    if text and contains_phone(text):
        why = "must not contain a phone number: it is shown to everyone"
        raise InvalidInput(f"{field} {why}", fields={field: why})


# --- requests ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AskRequest:
    """A viewer's question: ``{"card_id", "name"?, "text", "idempotency_key"?}`` (``ref`` and
    ``type`` of a socket message removed by the caller). Constructing one checks nothing; use
    ``parse``."""

    card_id: str
    name: str | None
    text: str
    idempotency_key: str | None = None

    @classmethod
    def parse(cls, data: object) -> AskRequest:
        """Validate untrusted input. ``card_id`` an id, ``name`` optional 1-``MAX_NAME``
        characters, ``text`` 1-``MAX_TEXT``; format characters stripped (``domain.text``);
        neither may hold a phone number; ``idempotency_key`` optional, an id (a client's
        retry with the same key is answered the first question's id). Raises
        ``InvalidInput`` naming every bad field."""
        body = values.only_fields(
            data, frozenset({"card_id", "name", "text", "idempotency_key"}), what="question"
        )

        def name() -> str | None:
            value = values.optional_text(body, "name", max_len=MAX_NAME)
            check_no_phone("name", value)
            return value

        def text() -> str:
            value = values.text(body, "text", max_len=MAX_TEXT)
            check_no_phone("text", value)
            return value

        def key() -> str | None:
            if body.get("idempotency_key") is None:
                return None
            return values.identifier(body, "idempotency_key")

        parsed = values.check_all(
            {
                "card_id": lambda: values.identifier(body, "card_id"),
                "name": name,
                "text": text,
                "idempotency_key": key,
            },
            what="question",
        )
        return cls(
            card_id=parsed["card_id"],
            name=parsed["name"],
            text=parsed["text"],
            idempotency_key=parsed["idempotency_key"],
        )


@dataclass(frozen=True, slots=True)
class Moderation:
    """A host's, staff's or employer's move: ``{"action", "answer"?}``; ``answer`` (1-
    ``MAX_ANSWER`` characters, no phone) is required for ``answer`` and refused otherwise.
    Constructing one checks nothing; use ``parse``."""

    action: QuestionAction
    answer: str | None

    @classmethod
    def parse(cls, data: object) -> Moderation:
        """Validate untrusted input. Raises ``InvalidInput`` naming ``action``/``answer``."""
        body = values.only_fields(data, frozenset({"action", "answer"}), what="body")
        raw = body.get("action")
        try:
            action = QuestionAction(raw) if isinstance(raw, str) else None
        except ValueError:
            action = None
        problems: dict[str, str] = {}
        if action is None:
            problems["action"] = "must be one of " + ", ".join(a.value for a in QuestionAction)
        answer: str | None = None
        try:
            answer = values.optional_text(body, "answer", max_len=MAX_ANSWER)
            check_no_phone("answer", answer)
            if action is QuestionAction.ANSWER and answer is None:
                problems["answer"] = "required"
            elif action is not None and action is not QuestionAction.ANSWER and answer:
                problems["answer"] = "only with action 'answer'"
        except InvalidInput as exc:
            problems.update(exc.fields)
        if problems or action is None:
            raise InvalidInput("the moderation has invalid fields", fields=problems)
        return cls(action=action, answer=answer)


# --- the question ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    """One question as stored. ``asked_at``, ``answered_at``, ``moderated_at`` are epoch ms;
    ``answered_by`` is the role that answered (host, staff, admin, employer) and
    ``answered_by_name`` that grant's name (the employer's name for an employer). ``name`` is
    the asker's name as typed (never public: see ``public_wire``). Constructing one checks
    nothing; records come from ``AskRequest`` and ``moderated``."""

    question_id: str
    card_id: str
    job_id: str
    employer: str
    name: str | None
    text: str
    asked_at: int
    status: QuestionStatus = QuestionStatus.PENDING
    answer: str | None = None
    answered_by: str | None = None
    answered_by_name: str | None = None
    answered_at: int | None = None
    moderated_at: int | None = None

    def moderated(self, move: Moderation, *, by: str, by_name: str, now: int) -> Question:
        """The question after ``move`` by a caller of role ``by`` named ``by_name``.

        Raises ``Conflict`` for a move ``TRANSITIONS`` does not have."""
        status = transition(self.status, move.action)
        if move.action is QuestionAction.ANSWER:
            return replace(
                self,
                status=status,
                answer=move.answer,
                answered_by=by,
                answered_by_name=by_name,
                answered_at=now,
                moderated_at=now,
            )
        return replace(self, status=status, moderated_at=now)

    def to_record(self) -> dict[str, Any]:
        """The stored form (every field; status as text). Raises nothing."""
        return {
            "question_id": self.question_id,
            "card_id": self.card_id,
            "job_id": self.job_id,
            "employer": self.employer,
            "name": self.name,
            "text": self.text,
            "asked_at": self.asked_at,
            "status": str(self.status),
            "answer": self.answer,
            "answered_by": self.answered_by,
            "answered_by_name": self.answered_by_name,
            "answered_at": self.answered_at,
            "moderated_at": self.moderated_at,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Question:
        """The inverse of ``to_record``. Raises ``KeyError``/``ValueError`` for a bad record."""
        return cls(
            question_id=record["question_id"],
            card_id=record["card_id"],
            job_id=record["job_id"],
            employer=record["employer"],
            name=record.get("name"),
            text=record["text"],
            asked_at=record["asked_at"],
            status=QuestionStatus(record["status"]),
            answer=record.get("answer"),
            answered_by=record.get("answered_by"),
            answered_by_name=record.get("answered_by_name"),
            answered_at=record.get("answered_at"),
            moderated_at=record.get("moderated_at"),
        )

    def public_wire(self) -> dict[str, Any]:
        """What every viewer sees. For a shown question (``PUBLIC``): ``{"question_id",
        "card_id", "job_id", "status", "name" (masked), "text", "asked_at" (ISO 8601),
        "answer" (None unless answered), "answered_by"}`` (``answered_by`` is the employer's
        name for an employer's answer, else the role). For a hidden or pending one only
        ``{"question_id", "card_id", "job_id", "status"}``: its text is never sent. Raises
        nothing."""
        wire: dict[str, Any] = {
            "question_id": self.question_id,
            "card_id": self.card_id,
            "job_id": self.job_id,
            "status": str(self.status),
        }
        if self.status not in PUBLIC:
            return wire
        answered = self.status is QuestionStatus.ANSWERED
        by = self.answered_by_name if self.answered_by == "employer" else self.answered_by
        wire.update(
            name=mask_name(self.name),
            text=self.text,
            asked_at=values.iso(self.asked_at),
            answer=self.answer if answered else None,
            answered_by=by if answered else None,
        )
        return wire

    def staff_wire(self) -> dict[str, Any]:
        """What host, staff and the job's employer see in their queue: every stored field
        (the name unmasked: they moderate it; there is no phone), times as ISO 8601. Raises
        nothing."""
        wire = self.to_record()
        for field in ("asked_at", "answered_at", "moderated_at"):
            if wire[field] is not None:
                wire[field] = values.iso(wire[field])
        return wire


def question_record(question: Question, at: int) -> dict[str, Any]:
    """The timeline record of a moderation that everyone must see: ``{"kind": "question",
    "question": Question.public_wire(), "at"}`` (``at`` epoch ms). Raises nothing."""
    return {"kind": str(TimelineKind.QUESTION), "question": question.public_wire(), "at": at}
