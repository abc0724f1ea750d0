"""A job's headcount in words: one table (``tests/data/headcounts.json``) for Python and the pages.

The same table runs against the pages' JS in ``tests/browser/test_headcounts_page.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liveevent.domain.jobs import Job, headcount_text
from liveevent.tables.cells import parse_headcount

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "headcounts.json").read_text("utf-8")
)
CASES: list[dict[str, Any]] = TABLE["cases"]


def _job(case: dict[str, Any]) -> Job:
    """The job a client sends with the case's fields (a field left out is left out)."""
    body = {"employer": "顺丰速运", "title": "快递员"}
    body |= {k: case[k] for k in ("openings", "openings_max") if k in case}
    return Job.parse(body, new_id="j1")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["zh"] + "/" + str(c.get("openings_max")))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headcount_words(case: dict[str, Any], lang: str) -> None:
    job = _job(case)
    code = "zh-CN" if lang == "zh" else "en"
    assert headcount_text(job.openings, job.openings_max, lang=code) == case[lang]
    short = headcount_text(job.openings, job.openings_max, lang=code, short=True)
    assert short == case[f"{lang}_short"]
    # A stored record from before ranges (no openings_max) reads the same.
    old = {k: v for k, v in job.to_record().items() if k != "openings_max"}
    if job.openings == job.openings_max:
        again = Job.from_record(old)
        assert headcount_text(again.openings, again.openings_max, lang=code) == case[lang]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["zh"] + "/" + str(c.get("openings_max")))
def test_the_words_read_back_as_the_same_headcount(case: dict[str, Any]) -> None:
    """An exported 招聘人数 cell imports back to the same two ends (a file can go round)."""
    job = _job(case)
    for text in (case["zh"], case["zh_short"]):
        read = parse_headcount(text)
        assert (read.low, read.high) == (job.openings, job.openings_max), text


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        headcount_text(1, 2, lang="fr")
