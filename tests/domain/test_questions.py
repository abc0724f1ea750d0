"""Questions on the card: the masking table, the transition table, parsing (no loop, no store)."""

from __future__ import annotations

import pytest

from liveevent.domain.cards import is_timeline_record, timeline_message
from liveevent.domain.questions import (
    MAX_ANSWER,
    MAX_NAME,
    MAX_TEXT,
    PUBLIC,
    TRANSITIONS,
    AskRequest,
    Moderation,
    Question,
    QuestionAction,
    QuestionStatus,
    contains_phone,
    mask_name,
    question_record,
    transition,
)
from liveevent.errors import Conflict, InvalidInput

# The one table of the masking rule: name as typed -> what everyone sees.
MASKS = [
    (None, ""),
    ("", ""),
    ("   ", ""),
    ("张", "*"),  # one character: it is the whole name
    ("张三", "张*"),
    ("张三丰", "张**"),
    ("欧阳娜娜", "欧***"),
    ("爱新觉罗·溥仪", "爱******"),
    ("李a", "李*"),
    ("A", "*"),
    ("Al", "A***"),  # Latin: a fixed three stars, the length is not told
    ("Alice Wang", "A***"),
    ("Владимир", "В***"),
    ("😀", "*"),
    ("😀小明", "😀***"),
    ("9527", "9***"),
]


@pytest.mark.parametrize(("name", "masked"), MASKS)
def test_the_asker_name_is_masked_by_one_rule(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


ALL_MOVES = [(s, a) for s in QuestionStatus for a in QuestionAction]


@pytest.mark.parametrize(("status", "action"), ALL_MOVES)
def test_every_move_is_in_the_table_or_refused(
    status: QuestionStatus, action: QuestionAction
) -> None:
    if (status, action) in TRANSITIONS:
        assert transition(status, action) is TRANSITIONS[(status, action)]
    else:
        with pytest.raises(Conflict):
            transition(status, action)


def test_the_table_has_the_moves_a_host_expects() -> None:
    S, A = QuestionStatus, QuestionAction
    assert transition(S.PENDING, A.APPROVE) is S.APPROVED
    assert transition(S.APPROVED, A.ANSWER) is S.ANSWERED
    assert transition(S.ANSWERED, A.ANSWER) is S.ANSWERED  # a correction
    assert transition(S.HIDDEN, A.APPROVE) is S.APPROVED  # undo a hide
    for refused in [(S.APPROVED, A.APPROVE), (S.HIDDEN, A.HIDE), (S.ANSWERED, A.APPROVE)]:
        assert refused not in TRANSITIONS
    assert not any(to is S.PENDING for to in TRANSITIONS.values())  # never back in the queue
    assert PUBLIC == {S.APPROVED, S.ANSWERED}


PHONES = [
    ("工资多少？", False),
    ("8000-12000元一个月吗", False),
    ("月薪 8000 ~ 12000 是税前吗", False),
    ("年龄 18-45 岁可以吗", False),
    ("2026年11月30日面试吗", False),
    ("我的电话13800138000", True),
    ("打 138 0013 8000", True),
    ("打 138-0013-8000", True),
    ("１３８００１３８０００", True),
    ("+852 9123 4567", True),
    ("座机 010-12345678", True),
    ("QQ 123456789", True),
    ("微信 1380013 8000", True),
]


@pytest.mark.parametrize(("text", "has_phone"), PHONES)
def test_phone_numbers_are_found_in_text(text: str, has_phone: bool) -> None:
    assert contains_phone(text) is has_phone


def test_an_ask_is_cleaned_and_checked() -> None:
    req = AskRequest.parse({"card_id": "c1", "name": " 张\u200b三 ", "text": "包住吗\u202e？"})
    assert (req.card_id, req.name, req.text, req.idempotency_key) == (
        "c1",
        "张三",
        "包住吗？",
        None,
    )
    assert AskRequest.parse({"card_id": "c1", "text": "x"}).name is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"card_id": "c1"}, {"text"}),
        ({"card_id": "c1", "text": "\u200b\u200b"}, {"text"}),
        ({"card_id": "c1", "text": "x" * (MAX_TEXT + 1)}, {"text"}),
        ({"card_id": "c1", "text": "call 13800138000"}, {"text"}),
        ({"card_id": "c1", "text": "ok", "name": "n" * (MAX_NAME + 1)}, {"name"}),
        ({"card_id": "c1", "text": "ok", "name": "13800138000"}, {"name"}),
        ({"card_id": "c 1", "text": "ok"}, {"card_id"}),
        ({"text": 3, "name": 4}, {"card_id", "text", "name"}),
        ({"card_id": "c1", "text": "ok", "phone": "13800138000"}, {"phone"}),
        ({"card_id": "c1", "text": "ok", "idempotency_key": "a b"}, {"idempotency_key"}),
        ("hi", {"question"}),
    ],
)
def test_a_bad_ask_names_every_bad_field(body: object, fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        AskRequest.parse(body)
    assert set(caught.value.fields) == fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"action"}),
        ({"action": "delete"}, {"action"}),
        ({"action": "answer"}, {"answer"}),
        ({"action": "answer", "answer": "a" * (MAX_ANSWER + 1)}, {"answer"}),
        ({"action": "answer", "answer": "找 13800138000"}, {"answer"}),
        ({"action": "approve", "answer": "是"}, {"answer"}),
        ({"action": "hide", "who": 1}, {"who"}),
    ],
)
def test_a_bad_moderation_names_its_field(body: object, fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        Moderation.parse(body)
    assert set(caught.value.fields) == fields


def _question(**changes: object) -> Question:
    base = Question("q1", "c1", "j1", "顺丰", "张三丰", "包吃住吗？", 1_700_000_000_000)
    return Question(**{**base.to_record(), **changes, "status": changes.get("status", "pending")})


def test_what_everyone_sees_is_masked_and_hides_what_is_not_shown() -> None:
    pending = _question()
    assert pending.public_wire() == {
        "question_id": "q1",
        "card_id": "c1",
        "job_id": "j1",
        "status": "pending",
    }
    approved = pending.moderated(
        Moderation.parse({"action": "approve"}), by="host", by_name="host", now=5
    )
    wire = approved.public_wire()
    assert wire["name"] == "张**" and wire["text"] == "包吃住吗？" and wire["answer"] is None
    assert "张三丰" not in str(wire)
    answered = approved.moderated(
        Moderation.parse({"action": "answer", "answer": "包住"}),
        by="employer",
        by_name="顺丰",
        now=6,
    )
    assert answered.public_wire()["answer"] == "包住"
    assert answered.public_wire()["answered_by"] == "顺丰"
    assert Question.from_record(answered.to_record()) == answered
    hidden = answered.moderated(
        Moderation.parse({"action": "hide"}), by="staff", by_name="staff", now=7
    )
    assert set(hidden.public_wire()) == {"question_id", "card_id", "job_id", "status"}
    with pytest.raises(Conflict):
        hidden.moderated(Moderation.parse({"action": "hide"}), by="staff", by_name="s", now=8)


def test_a_question_entry_is_a_timeline_record_viewers_get() -> None:
    shown = _question(status="approved")
    record = question_record(shown, 9)
    assert is_timeline_record(record)
    message = timeline_message(record, "1-0")
    assert message == {"type": "question", "question": shown.public_wire(), "cursor": "1-0"}
    assert not is_timeline_record({"kind": "question", "question": "x", "at": 1})
