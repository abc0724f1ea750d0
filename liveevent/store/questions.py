"""Questions on the card on screen in the store (``domain.questions``; keys in ``store/keys.py``).

The questions hash is the record of truth (one record per question, rewritten on each move); the
host's queue (pending ids) and what viewers see under each card are kept from it in the same
atomic step (``scripts.ASK``, ``scripts.MODERATE``). A move that viewers must see appends a
``question`` entry to the event's timeline, so it reaches them through the fan-out exactly like
a card push, with its cursor, through resume and replay.
"""

from __future__ import annotations

from typing import Any

from liveevent.domain.cards import JobCard
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.questions import MAX_QUESTIONS, PUBLIC, Question, question_record
from liveevent.errors import Conflict, NotFound, RateLimited
from liveevent.store import codec, scripts
from liveevent.store.connect import StoreConnection, new_attempt, store_call
from liveevent.store.events import EventView


class QuestionStore:
    """An event's questions: asking, moderating, the host's queue, the viewers' greeting.

    One per process, on a ``StoreConnection``; safe to share between tasks. Every method
    raises ``StoreUnavailable`` when the store does not answer (``store_call``). Times are
    Unix milliseconds.
    """

    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.keys = conn.keys
        self._ask = conn.reader.register_script(scripts.ASK)
        self._moderate = conn.reader.register_script(scripts.MODERATE)
        self._greet = conn.reader.register_script(scripts.GREET)

    async def ask(
        self,
        event_id: str,
        question: Question,
        *,
        ip: str,
        rate_limit: int,
        window_s: int,
        attempt: str | None = None,
    ) -> str:
        """Store a viewer's question (status pending) about the card on screen; returns its id.

        ``question.card_id`` must still be the card on screen, and the event live. Exactly
        once under retry: a once key per ``attempt`` (a fresh one when None; the caller passes
        one derived from the client's idempotency key, so a client's own retry is answered the
        first id too). ``rate_limit`` questions per ``ip`` per ``window_s`` (0: no limit).
        Raises ``NotFound`` (event), ``Conflict`` (not live, the card changed, purged, at
        ``MAX_QUESTIONS``), ``RateLimited``, ``StoreUnavailable``.
        """
        k = self.keys.event(event_id)
        once = self.keys.once(event_id, attempt or new_attempt())
        reply = await store_call(
            self._ask(
                keys=[
                    k.meta,
                    k.questions,
                    k.questions_pending,
                    k.counters,
                    self.keys.question_rate(event_id, ip or "-"),
                    once,
                ],
                args=[
                    question.card_id,
                    question.question_id,
                    codec.pack(question.to_record()),
                    question.asked_at,
                    rate_limit if ip else 0,
                    window_s,
                    MAX_QUESTIONS,
                    self.conn.once_ttl_s,
                ],
            )
        )
        kind = codec.text(reply[0])
        if kind == "ok":
            return codec.text(reply[1])
        if kind == "noevent":
            raise NotFound(f"no event {event_id!r}")
        if kind == "rate":
            raise RateLimited("too many questions from this address; wait a minute")
        if kind == "nocard":
            raise Conflict(
                "that card is no longer on screen; ask about the one shown now",
                fields={"card_id": "not on screen"},
            )
        raise Conflict(
            {
                "purged": "this fair is over and its personal data was removed",
                "notlive": "questions can be asked only while the fair is live",
                "full": f"this fair has its {MAX_QUESTIONS} questions; no more can be asked",
            }.get(kind, "the question could not be stored")
        )

    async def question(self, event_id: str, question_id: str) -> tuple[Question, bytes]:
        """One question and its stored bytes (for ``moderate``'s compare-and-set).

        Raises ``NotFound`` (naming ``question_id``), ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await store_call(self.conn.reader.hget(k.questions, question_id))
        if raw is None:
            raise NotFound(
                f"no question {question_id!r} in this event", fields={"question_id": "unknown"}
            )
        return Question.from_record(codec.unpack(raw)), raw

    async def moderate(
        self, event_id: str, before: bytes, after: Question, *, now: int
    ) -> str | None:
        """Store ``after`` in place of the record ``before`` (its bytes as read), keep the host's
        queue and what viewers see in step, and append a timeline entry when what viewers see
        changed (shown, answered, or taken down). Returns that entry's cursor, or None when
        viewers see no change (a pending question hidden).

        Exactly once under retry (a once key per call). Raises ``NotFound`` (the question is
        gone), ``Conflict`` (it was changed meanwhile: nothing written; read it and try again),
        ``StoreUnavailable``."""
        previous = Question.from_record(codec.unpack(before))
        shown = after.status in PUBLIC
        entry = b""
        if shown or previous.status in PUBLIC:
            entry = codec.pack(question_record(after, now))
        k = self.keys.event(event_id)
        reply = await store_call(
            self._moderate(
                keys=[
                    k.questions,
                    k.questions_pending,
                    k.questions_shown(after.card_id),
                    k.timeline,
                    k.meta,
                    self.keys.once(event_id, new_attempt()),
                ],
                args=[
                    after.question_id,
                    before,
                    codec.pack(after.to_record()),
                    codec.pack(after.public_wire()) if shown else b"",
                    entry,
                    self.conn.once_ttl_s,
                ],
            )
        )
        kind = codec.text(reply[0])
        if kind == "noquestion":
            raise NotFound(
                f"no question {after.question_id!r} in this event",
                fields={"question_id": "unknown"},
            )
        if kind == "changed":
            raise Conflict("the question was changed meanwhile; nothing was changed")
        return codec.text(reply[1]) or None

    async def questions(self, event_id: str, *, pending_only: bool = False) -> list[Question]:
        """The event's questions, oldest first (then by id); only the host's queue with
        ``pending_only`` (read from its index, not the whole hash). Raises
        ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        redis = self.conn.reader
        if pending_only:
            ids = await store_call(redis.zrange(k.questions_pending, 0, MAX_QUESTIONS))
            if not ids:
                return []
            raw = [r for r in await store_call(redis.hmget(k.questions, ids)) if r is not None]
        else:
            raw = list((await store_call(redis.hgetall(k.questions))).values())
        found = [Question.from_record(codec.unpack(blob)) for blob in raw]
        return sorted(found, key=lambda q: (q.asked_at, q.question_id))

    async def shown_questions(self, event_id: str, card_id: str) -> list[Question]:
        """The questions shown under ``card_id`` (approved or answered), as stored, oldest
        first: read through that card's shown index, not the whole hash. Raises
        ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        redis = self.conn.reader
        ids = await store_call(redis.hkeys(k.questions_shown(card_id)))
        if not ids:
            return []
        raw = [r for r in await store_call(redis.hmget(k.questions, ids)) if r is not None]
        found = [Question.from_record(codec.unpack(blob)) for blob in raw]
        return sorted(found, key=lambda q: (q.asked_at, q.question_id))

    async def shown(self, event_id: str, card_id: str) -> list[dict[str, Any]]:
        """What viewers see under ``card_id`` (``Question.public_wire``), oldest first.

        Raises ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        raw = await store_call(self.conn.reader.hvals(k.questions_shown(card_id)))
        return _sorted_public([codec.unpack(blob) for blob in raw])

    async def greeting(self, event_id: str) -> tuple[EventView, list[dict[str, Any]]]:
        """The event as a viewer sees it on connect (``EventStore.event_view``) and the
        questions shown under its card, read in one atomic step (``scripts.GREET``) so that
        they match the view's cursor. Raises ``NotFound`` (event), ``StoreUnavailable``."""
        k = self.keys.event(event_id)
        reply = await store_call(self._greet(keys=[k.meta], args=[k.base]))
        record, state, card, cursor = reply[:4]
        if record is None:
            raise NotFound(f"no event {event_id!r}")
        view = EventView(
            event=LiveEvent.from_record(codec.unpack(record)),
            state=EventState(codec.text(state)),
            card=JobCard.from_record(codec.unpack(card)) if card else None,
            cursor=codec.text(cursor) or "0-0",
        )
        return view, _sorted_public([codec.unpack(blob) for blob in reply[4:]])


def _sorted_public(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda q: (q.get("asked_at", ""), q["question_id"]))
