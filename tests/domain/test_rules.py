"""Domain rules, synchronously, with no event loop and no store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from liveevent.domain.applications import ApplyRequest, Status, check_transition, mask_phone
from liveevent.domain.events import EventState, LiveEvent, parse_state
from liveevent.domain.events import check_transition as check_event_transition
from liveevent.domain.jobs import parse_jobs
from liveevent.domain.phones import normalize_phone
from liveevent.errors import Conflict, InvalidInput

DOMAIN = Path(__file__).resolve().parents[2] / "liveevent" / "domain"


def test_domain_does_no_io() -> None:
    banned = {"asyncio", "aiohttp", "redis", "msgpack", "socket", "time", "websockets"}
    for path in DOMAIN.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            assert not banned & set(names), f"{path.name} imports {banned & set(names)}"


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+44 7911 123456", "+447911123456"),  # a landline is refused: tests/data/phones.json
    ],
)
def test_phones_are_normalized(raw: str, phone: str) -> None:
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "", "abc", "+0123", None, 13812345678]
)
def test_bad_phones_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_phone(raw)
    assert "phone" in info.value.fields


def test_masking() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+442079460958") == "+44******0958"


def test_apply_request_reports_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as info:
        ApplyRequest.parse({"job_id": "", "name": " ", "phone": "1"})
    assert set(info.value.fields) == {"job_id", "name", "phone"}
    ok = ApplyRequest.parse({"job_id": "j1", "name": "  王 五 ", "phone": "+86 13812345678"})
    assert ok.name == "王 五" and ok.dedupe_key() == "j1|13812345678"


def test_event_lifecycle() -> None:
    check_event_transition(EventState.SCHEDULED, EventState.LIVE)
    check_event_transition(EventState.LIVE, EventState.ENDED)
    for current, target in [
        (EventState.LIVE, EventState.LIVE),
        (EventState.ENDED, EventState.LIVE),
        (EventState.LIVE, EventState.SCHEDULED),
    ]:
        with pytest.raises(Conflict):
            check_event_transition(current, target)
    with pytest.raises(InvalidInput):
        parse_state({"state": "scheduled"})
    assert parse_state({"state": "live"}) is EventState.LIVE


def test_status_moves() -> None:
    check_transition(Status.APPLIED, Status.HIRED)
    check_transition(Status.HIRED, Status.REJECTED)  # corrections are normal
    with pytest.raises(Conflict):
        check_transition(Status.HIRED, Status.HIRED)


def test_event_parse() -> None:
    event = LiveEvent.parse(
        {"title": " 招聘会 ", "starts_at": "2026-12-01T10:00:00Z"}, event_id="e1", now=0
    )
    assert event.title == "招聘会" and event.starts_at == 1796119200000
    for bad in (
        {"title": ""},
        {"title": "x", "starts_at": "tomorrow"},
        {"title": "x", "starts_at": "2026-12-01T10:00:00"},
        {"title": "x", "stream_url": "javascript:alert(1)"},
        {"title": "x", "y": 1},
    ):
        with pytest.raises(InvalidInput):
            LiveEvent.parse(bad, event_id="e1", now=0)


def test_jobs_report_problems_by_index() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_jobs(
            [{"employer": "A", "title": "B"}, {"employer": "", "title": "C", "openings": -1}],
            ["n1", "n2"],
        )
    assert set(info.value.fields) == {"[1].employer", "[1].openings"}
    with pytest.raises(InvalidInput):
        parse_jobs(
            [
                {"id": "x", "employer": "A", "title": "B"},
                {"id": "x", "employer": "A", "title": "C"},
            ],
            ["n1", "n2"],
        )
    jobs = parse_jobs([{"employer": "A", "title": "B"}], ["n1"])
    assert jobs[0].id == "n1"
