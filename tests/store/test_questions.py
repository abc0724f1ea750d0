"""Questions in the store: the compare-and-set of a move, the greeting, the queue, a rebuild."""

from __future__ import annotations

import pytest

from liveevent.domain.questions import Moderation, Question
from liveevent.errors import Conflict
from liveevent.store import codec
from liveevent.store.rebuild import rebuild
from liveevent.web.appkeys import QUESTIONS, STORE
from tests.support import LiveServer


async def _asked(server: LiveServer, event_id: str, card_id: str, text: str) -> str:
    status, body = await server.call(
        "POST", f"/api/events/{event_id}/questions", json_body={"card_id": card_id, "text": text}
    )
    assert status == 201, body
    return body["question_id"]  # type: ignore[no-any-return]


async def test_a_move_on_a_record_changed_meanwhile_writes_nothing(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    store = server.app[QUESTIONS]
    question_id = await _asked(server, event.id, card["card_id"], "包住吗")
    question, before = await store.question(event.id, question_id)
    approve = Moderation.parse({"action": "approve"})
    approved = question.moderated(approve, by="host", by_name="host", now=1)
    hidden = question.moderated(
        Moderation.parse({"action": "hide"}), by="staff", by_name="s", now=2
    )
    cursor = await store.moderate(event.id, before, approved, now=1)
    assert cursor is not None
    with pytest.raises(Conflict):
        await store.moderate(event.id, before, hidden, now=2)  # read before the approval
    stored, _ = await store.question(event.id, question_id)
    assert stored == approved
    view, shown = await store.greeting(event.id)
    assert view.cursor == cursor and [q["question_id"] for q in shown] == [question_id]
    assert await store.questions(event.id, pending_only=True) == []
    assert [q.question_id for q in await store.questions(event.id)] == [question_id]


async def test_the_greeting_shows_only_the_card_on_screen(server: LiveServer) -> None:
    event = await server.create_event()
    first = await server.push(event, "j1")
    store = server.app[QUESTIONS]
    question_id = await _asked(server, event.id, first["card_id"], "几点上班")
    question, before = await store.question(event.id, question_id)
    approve = Moderation.parse({"action": "approve"})
    await store.moderate(
        event.id, before, question.moderated(approve, by="h", by_name="h", now=1), now=1
    )
    assert len((await store.greeting(event.id))[1]) == 1
    await server.push(event, "j2")
    view, shown = await store.greeting(event.id)
    assert view.card is not None and view.card.job.id == "j2" and shown == []
    assert await store.shown(event.id, first["card_id"]) != []


async def test_a_rebuild_keeps_the_question_count_and_reads_question_entries(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    store = server.app[QUESTIONS]
    question_id = await _asked(server, event.id, card["card_id"], "加班吗")
    question, before = await store.question(event.id, question_id)
    answer = Moderation.parse({"action": "answer", "answer": "不加班"})
    cursor = await store.moderate(
        event.id, before, question.moderated(answer, by="h", by_name="h", now=1), now=1
    )
    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    await rebuild(conn, event.id)
    meta = await conn.reader.hgetall(k.meta)
    assert codec.text(meta[b"state"]) == "live"  # a question entry is not a state change
    assert codec.text(meta[b"cursor"]) == cursor
    assert codec.text(meta[b"card_id"]) == card["card_id"]
    assert await conn.reader.hget(k.counters, "questions") == b"1"
    assert isinstance(
        Question.from_record(codec.unpack(await conn.reader.hget(k.questions, question_id))),
        Question,
    )
