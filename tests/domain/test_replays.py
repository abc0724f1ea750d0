"""Replay cues: each card's offset from going live, and which card shows at a moment of the
recording (``liveevent.domain.replays``), as one table of timelines."""

from __future__ import annotations

from typing import Any

import pytest

from liveevent.domain.cards import card_entry, card_fields, state_record, withdraw_record
from liveevent.domain.replays import Cue, Replay, card_at, card_ids, cues_from_timeline
from liveevent.errors import InvalidInput

T0 = 1_780_000_000_000  # go-live, Unix ms


def job(job_id: str) -> dict[str, Any]:
    return {"id": job_id, "employer": "示例速运", "title": "片区运营主管"}


def push(card_id: str, at: int) -> dict[str, Any]:
    return card_entry(card_fields(card_id, T0 + at, job("j-" + card_id)))


def live(at: int) -> dict[str, Any]:
    return state_record("live", T0 + at)


def ended(at: int) -> dict[str, Any]:
    return state_record("ended", T0 + at)


def withdraw(card_id: str, at: int) -> dict[str, Any]:
    return withdraw_record(card_id, T0 + at)


# (case, timeline records oldest first, expected cues as (card id, at_ms, until_ms))
CASES: list[tuple[str, list[dict[str, Any]], list[tuple[str, int, int | None]]]] = [
    ("no cards", [live(0), ended(60_000)], []),
    ("never went live", [ended(5_000)], []),
    ("one card, still live", [live(0), push("a", 10_000)], [("a", 10_000, None)]),
    (
        "one card until the end",
        [live(0), push("a", 10_000), ended(50_000)],
        [("a", 10_000, 50_000)],
    ),
    (
        "the next push ends a card",
        [live(0), push("a", 10_000), push("b", 25_000), ended(40_000)],
        [("a", 10_000, 25_000), ("b", 25_000, 40_000)],
    ),
    (
        "a withdrawn card ends at its withdrawal",
        [live(0), push("a", 10_000), withdraw("a", 18_000), push("b", 30_000), ended(40_000)],
        [("a", 10_000, 18_000), ("b", 30_000, 40_000)],
    ),
    (
        "the same job pushed twice is two cues",
        [live(0), push("a", 5_000), withdraw("a", 6_000), push("a2", 9_000), ended(12_000)],
        [("a", 5_000, 6_000), ("a2", 9_000, 12_000)],
    ),
    (
        "several go-lives: the first counts",
        [live(0), push("a", 10_000), live(8_000), ended(20_000)],
        [("a", 10_000, 20_000)],
    ),
    (
        "a card pushed before the go-live (clocks apart) is at 0",
        [live(0), push("a", -300), ended(20_000)],
        [("a", 0, 20_000)],
    ),
    (
        "an end before the go-live is clamped to the push",
        [live(0), push("a", -300), withdraw("a", -100)],
        [("a", 0, 0)],
    ),
]


@pytest.mark.parametrize(("case", "records", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cues_from_timeline(
    case: str, records: list[dict[str, Any]], expected: list[tuple[str, int, int | None]]
) -> None:
    cues = cues_from_timeline(records)
    assert [(c.card.card_id, c.at_ms, c.until_ms) for c in cues] == expected, case


def replay(lead_in_s: float = 0.0, offset_s: float = 0.0) -> Replay:
    return Replay("https://media.example.cn/r.mp4", lead_in_s, offset_s, set_at=0, set_by="staff")


TIMELINE = [
    live(0),
    push("a", 10_000),
    withdraw("a", 18_000),
    push("b", 30_000),
    push("c", 40_000),
    ended(50_000),
]

# (position in the recording s, lead-in s, offset s, the card showing or None)
AT: list[tuple[float, float, float, str | None]] = [
    (5.0, 0, 0, None),
    (10.0, 0, 0, "a"),  # from its push...
    (17.999, 0, 0, "a"),
    (18.0, 0, 0, None),  # ...until its withdrawal
    (7.0, 3, 0, "a"),  # the lead-in brings it up early
    (6.9, 3, 0, None),
    (37.5, 3, 0, "c"),  # c's lead-in takes over from b before c's push
    (36.9, 3, 0, "b"),
    (49.9, 3, 0, "c"),
    (50.0, 3, 0, None),  # the event ended
    (100.0, 3, 90, "a"),  # the recording starts 90 s before the go-live
    (99.0, 0, 90, None),
    (139.0, 0, 90, "c"),
]


@pytest.mark.parametrize(("position", "lead_in", "offset", "showing"), AT)
def test_card_at(position: float, lead_in: float, offset: float, showing: str | None) -> None:
    cue = card_at(cues_from_timeline(TIMELINE), replay(lead_in, offset), position)
    assert (cue.card.card_id if cue else None) == showing


def test_window_and_wire() -> None:
    cues = cues_from_timeline(TIMELINE)
    assert cues[0].window(replay(3, 90)) == (97.0, 108.0)
    assert Cue(cues[0].card, 1_000, None).window(replay(3, 0)) == (0.0, None)  # never before 0
    wire = cues[1].to_wire(replay(2.5, 10))
    assert wire["at_s"] == 30.0 and wire["until_s"] == 40.0
    assert wire["from_s"] == 37.5 and wire["to_s"] == 50.0
    assert wire["card"]["card_id"] == "b" and wire["card"]["job"]["id"] == "j-b"
    assert card_ids(cues) == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://media.example.cn/r.mp4"}, "url"),
        ({"url": "javascript:alert(1)//.mp4"}, "url"),
        ({"url": "https://media.example.cn/r.avi"}, "url"),
        ({"url": "https://media.example.cn/" + "a" * 2000 + ".mp4"}, "url"),
        ({"url": "https://media.example.cn/r.mp4", "lead_in_s": -1}, "lead_in_s"),
        ({"url": "https://media.example.cn/r.mp4", "lead_in_s": 121}, "lead_in_s"),
        ({"url": "https://media.example.cn/r.mp4", "lead_in_s": "3"}, "lead_in_s"),
        ({"url": "https://media.example.cn/r.mp4", "offset_s": True}, "offset_s"),
        ({"url": "https://media.example.cn/r.mp4", "speed": 2}, "speed"),
    ],
)
def test_replay_parse_names_the_bad_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Replay.parse(body, now=T0, by="staff")
    assert field in caught.value.fields


def test_replay_parse_defaults_and_kind() -> None:
    mp4 = Replay.parse({"url": "https://media.example.cn/r.MP4?sig=1"}, now=T0, by="王老师")
    assert (mp4.lead_in_s, mp4.offset_s, mp4.is_hls, mp4.set_by) == (3.0, 0.0, False, "王老师")
    hls = Replay.parse(
        {"url": "https://media.example.cn/live/index.m3u8", "lead_in_s": 0, "offset_s": 12.5},
        now=T0,
        by="staff",
    )
    assert hls.is_hls and hls.to_wire()["hls"] is True and hls.offset_s == 12.5
    assert Replay.from_record(hls.to_record()) == hls
    assert "set_by" not in hls.to_wire()


APPLY = {"job_id": "j1", "name": "张三", "phone": "13812345678"}


def test_only_a_replay_application_names_its_card() -> None:
    from liveevent.domain.applications import ApplyRequest, Source

    req = ApplyRequest.parse({**APPLY, "source": "replay", "card_id": "c0ffee12"})
    assert (req.source, req.card_id) == (Source.REPLAY, "c0ffee12")
    assert ApplyRequest.parse({**APPLY, "source": "replay"}).card_id is None
    for body in (
        {**APPLY, "card_id": "c0ffee12"},  # live: the store records the card on screen
        {**APPLY, "source": "live", "card_id": "c0ffee12"},
        {**APPLY, "source": "replay", "card_id": "not a card id!"},
    ):
        with pytest.raises(InvalidInput) as caught:
            ApplyRequest.parse(body)
        assert set(caught.value.fields) == {"card_id"}
