"""The questions table of an event's exports (issue 17 part 2): one row per question asked.

Names are as the asker typed them (staff export: the same people who see applicants' names);
no question holds a phone number (``domain.questions`` refuses one). Oldest first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from liveevent.domain.questions import Question, QuestionStatus
from liveevent.office.layout import RAW, Lang, Layout
from liveevent.store.events import EventStore
from liveevent.store.questions import QuestionStore

QUESTION_COLUMNS = (
    "question_id",
    "card_id",
    "job_id",
    "employer",
    "title",
    "name",
    "question",
    "question_status",
    "asked_at",
    "answer",
    "answered_by",
    "answered_at",
)

# How people read a question's status in a sheet (raw: the code).
STATUS_WORDS: dict[Lang, dict[QuestionStatus, str]] = {
    Lang.ZH_CN: {
        QuestionStatus.PENDING: "待审核",
        QuestionStatus.APPROVED: "已展示",
        QuestionStatus.ANSWERED: "已回答",
        QuestionStatus.HIDDEN: "已隐藏",
    },
    Lang.EN: {
        QuestionStatus.PENDING: "pending",
        QuestionStatus.APPROVED: "shown",
        QuestionStatus.ANSWERED: "answered",
        QuestionStatus.HIDDEN: "hidden",
    },
}


def question_row(question: Question, title: str, layout: Layout = RAW) -> list[object]:
    """One question as a row of ``QUESTION_COLUMNS`` cells. Raises nothing."""
    status = str(question.status) if layout.raw else STATUS_WORDS[layout.lang][question.status]
    by = question.answered_by or ""
    if question.answered_by == "employer" and question.answered_by_name:
        by = f"{by}: {question.answered_by_name}"
    return [
        question.question_id,
        question.card_id,
        question.job_id,
        question.employer,
        title,
        question.name or "",
        question.text,
        status,
        layout.time(question.asked_at),
        question.answer or "",
        by,
        layout.time(question.answered_at) if question.answered_at is not None else "",
    ]


async def question_rows(
    events: EventStore, questions: QuestionStore, event_id: str, layout: Layout = RAW
) -> list[list[object]]:
    """Every question of the event as rows, oldest first. Raises ``StoreUnavailable``."""
    titles = {job.id: job.title for job in await events.jobs(event_id)}
    return [
        question_row(q, titles.get(q.job_id, ""), layout)
        for q in await questions.questions(event_id)
    ]


async def question_pages(
    events: EventStore, questions: QuestionStore, event_id: str, layout: Layout = RAW
) -> AsyncIterator[list[list[object]]]:
    """The rows as one page (questions are at most ``MAX_QUESTIONS`` per event)."""
    yield await question_rows(events, questions, event_id, layout)
