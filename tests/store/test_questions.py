"""Questions in the store: the compare-and-set of a move, the greeting, the queue, a rebuild."""

from __future__ import annotations

import pytest

from liveevent.domain.events import EventState
from liveevent.domain.questions import Moderation, Question, check_ask
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


# One table of the ask rule (``domain.questions.check_ask``), run through the domain and
# through the store's ASK script: (state, what is on screen, the card asked about) -> allowed.
ASK_CASES = [
    ("live", "on", "on", True),
    ("live", "on", "other", False),
    ("live", None, "on", False),
    ("scheduled", None, "on", False),
    ("ended", None, "on", False),
]


@pytest.mark.parametrize(("state", "on_screen", "asked", "allowed"), ASK_CASES)
async def test_the_ask_rule_is_one_table_for_the_domain_and_the_store(
    server: LiveServer, state: str, on_screen: str | None, asked: str, allowed: bool
) -> None:
    try:
        check_ask(EventState(state), on_screen, asked)
        domain_allows = True
    except Conflict:
        domain_allows = False
    assert domain_allows is allowed

    event = await server.create_event(live=state != "scheduled")
    card_id = ""
    if on_screen is not None:
        card_id = (await server.push(event, "j1"))["card_id"]
    if state == "ended":
        await server.call(
            "POST",
            f"/api/events/{event.id}/state",
            token=event.host_token,
            json_body={"state": "ended"},
        )
    question = Question("q1", card_id if asked == "on" else "other", "j1", "e", None, "x", 1)
    try:
        await server.app[QUESTIONS].ask(event.id, question, ip="", rate_limit=0, window_s=60)
        store_allows = True
    except Conflict:
        store_allows = False
    assert store_allows is allowed
