"""The fair report's rules: openings of ranges and unknowns, 求人倍率, sums, date ranges."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from liveevent.domain.fair_report import DateRange, Figures, add_up, job_totals, ratio
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_openings_count_a_range_low_an_up_to_top_and_unknown_zero() -> None:
    jobs = [
        Job("a", "顺丰", "快递员", 8),  # exact
        Job("b", "顺丰 ", "仓管", 10, openings_max=20),  # a range: 10
        Job("c", "京东", "司机", None, openings_max=5),  # up to 5: 5
        Job("d", "京东", "客服", 20, openings_max=None),  # 20 or more: 20
        Job("e", "宁波港", "理货员", None, openings_max=None),  # 若干: 0
    ]
    assert job_totals(jobs) == {
        "employers": 3,  # "顺丰" and "顺丰 " are one employer
        "jobs": 5,
        "openings": 43,
        "ranged": 3,
        "unknown": 1,
    }


def test_ratio_is_openings_per_applicant_and_empty_without_applicants() -> None:
    assert ratio(43, 20) == 2.15
    assert ratio(10, 3) == 3.33
    assert ratio(10, 0) is None
    assert Figures(openings=10, applicants=4).ratio == 2.5
    assert Figures(applicants=4).ratio is None  # a row without openings (a channel)


def test_add_up_keeps_none_where_no_row_knows() -> None:
    total = add_up([Figures(jobs=2, hires=1), Figures(jobs=3, hires=None, applicants=4)])
    assert (total.jobs, total.hires, total.applicants, total.viewers_peak) == (5, 1, 4, None)


def test_a_date_range_is_whole_local_days() -> None:
    days = DateRange.parse({"from": "2026-03-01", "to": "2026-03-15"}, zone=SHANGHAI)
    assert days.start_ms == 1772294400000  # 2026-02-28T16:00:00Z
    assert days.holds(1773590399999)  # 2026-03-15 23:59:59.999 in Shanghai
    assert not days.holds(1773590400000)  # the 16th
    assert not days.holds(days.start_ms - 1)
    one = DateRange.parse({"from": "2026-03-01"}, zone=SHANGHAI)
    assert one.first == one.last


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "2026-3-1"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-01", "to": "yesterday"}, "to"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_dates_name_their_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        DateRange.parse(query, zone=SHANGHAI)
    assert field in caught.value.fields
