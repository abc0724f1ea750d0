"""Positions remaining: one table (``tests/data/openings.json``) for Python and the pages.

The same table runs against the pages' JS in ``tests/browser/test_openings_page.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liveevent.domain.jobs import Job
from liveevent.domain.openings import Left, remaining

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "openings.json").read_text("utf-8")
)
CASES: list[dict[str, Any]] = TABLE["cases"]


def _job(case: dict[str, Any]) -> Job:
    """The job as a stored record with the case's fields (a field left out is left out)."""
    record = {"id": "j1", "employer": "宁波港集团", "title": "理货员"}
    record |= {k: case[k] for k in ("openings", "openings_max") if k in case}
    return Job.from_record(record)


def _id(case: dict[str, Any]) -> str:
    return f"{case.get('openings')}-{case.get('openings_max', '=')}/{case['hires']}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_remaining(case: dict[str, Any]) -> None:
    job = _job(case)
    got = remaining(job.openings, job.openings_max, case["hires"])
    assert (str(got.kind), got.low, got.high) == (case["kind"], case["low"], case["high"])
    assert got.hires == max(0, case["hires"])
    assert got.filled == (case["kind"] == "filled")
    assert got.to_wire() == {
        "kind": case["kind"],
        "low": case["low"],
        "high": case["high"],
        "hires": max(0, case["hires"]),
        "filled": case["kind"] == "filled",
    }


def test_the_table_covers_every_kind() -> None:
    assert {case["kind"] for case in CASES} == {str(kind) for kind in Left}


@pytest.mark.parametrize("openings,openings_max", [(5, 5), (3, 9), (None, 7), (4, None)])
def test_one_more_hire_never_leaves_more(openings: int | None, openings_max: int | None) -> None:
    """Left falls (or stays) as hires rise, and once filled stays filled."""
    before = remaining(openings, openings_max, 0)
    for hires in range(1, 12):
        now = remaining(openings, openings_max, hires)
        for end in ("low", "high"):
            old, new = getattr(before, end), getattr(now, end)
            if old is not None and new is not None:
                assert new <= old
        assert not (before.filled and not now.filled)
        before = now
