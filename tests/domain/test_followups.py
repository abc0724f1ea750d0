"""The follow-up rules with no event loop: when a mark may be recorded, the tally, the rate."""

from __future__ import annotations

import pytest

from liveevent.domain.followups import (
    DAY_MS,
    Checkpoint,
    Hire,
    Mark,
    Retention,
    check_mark,
    due_checks,
    parse_mark,
    tally,
)
from liveevent.errors import InvalidInput

HIRED = 1_000 * DAY_MS


@pytest.mark.parametrize(
    ("checkpoint", "result", "days", "allowed"),
    [
        (Checkpoint.D7, Retention.LEFT, 1, True),
        (Checkpoint.D7, Retention.RETAINED, 6.9, False),
        (Checkpoint.D7, Retention.RETAINED, 7, True),
        (Checkpoint.D7, Retention.UNKNOWN, 6, False),
        (Checkpoint.D30, Retention.RETAINED, 29, False),
        (Checkpoint.D30, Retention.UNKNOWN, 30, True),
        (Checkpoint.D30, Retention.LEFT, 0, True),
    ],
)
def test_left_any_time_the_others_once_due(
    checkpoint: Checkpoint, result: Retention, days: float, allowed: bool
) -> None:
    now = HIRED + int(days * DAY_MS)
    if allowed:
        check_mark(checkpoint, result, hired_at=HIRED, now=now)
    else:
        with pytest.raises(InvalidInput) as caught:
            check_mark(checkpoint, result, hired_at=HIRED, now=now)
        assert "result" in caught.value.fields


def test_parse_names_each_bad_field() -> None:
    assert parse_mark({"checkpoint": "30d", "result": "left"}) == (Checkpoint.D30, Retention.LEFT)
    with pytest.raises(InvalidInput) as caught:
        parse_mark({"checkpoint": 7, "result": "stayed"})
    assert set(caught.value.fields) == {"checkpoint", "result"}


def test_the_rate_leaves_out_unknown_pending_and_not_due() -> None:
    now = HIRED + 10 * DAY_MS
    hires = [Hire(str(n), "A" if n < 4 else "B", HIRED) for n in range(6)]
    hires.append(Hire("late", "B", now - DAY_MS))  # hired yesterday: nothing due
    marks = {
        (a, Checkpoint.D7): Mark(a, Checkpoint.D7, r, "staff", "staff", now)
        for a, r in (("0", Retention.RETAINED), ("1", Retention.RETAINED),
                     ("2", Retention.LEFT), ("3", Retention.UNKNOWN))
    }  # fmt: skip
    marks[("9", Checkpoint.D7)] = Mark("9", Checkpoint.D7, Retention.LEFT, "s", "staff", now)
    fair, per_employer = tally(hires, marks, now=now)
    d7 = fair.checks[Checkpoint.D7]
    assert (d7.retained, d7.left, d7.unknown, d7.pending, d7.not_due) == (2, 1, 1, 2, 1)
    assert d7.rate == 0.6667  # 2 / (2 + 1): "9" is not a hire, unknown and pending apart
    assert fair.checks[Checkpoint.D30].rate is None
    assert fair.checks[Checkpoint.D30].not_due == 7
    assert per_employer["B"].checks[Checkpoint.D7].rate is None
    assert per_employer["A"].hires == 4
    assert due_checks(HIRED, [Checkpoint.D7], now=HIRED + 31 * DAY_MS) == [Checkpoint.D30]
