"""Employers and consent, as pure rules: statuses, name matching, progress, consent texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from liveevent.domain.applications import (
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    ApplyRequest,
    Status,
    check_transition,
)
from liveevent.domain.consent import CURRENT_VERSION, TEXTS, VERSIONS, consent_text, covers
from liveevent.domain.employers import (
    EMPLOYER_STATUSES,
    EmployerAccess,
    JobFigures,
    employer_key,
    mask_name,
    match_employer,
    own_jobs,
    parse_employer_status,
    progress,
)
from liveevent.domain.jobs import Job
from liveevent.errors import Conflict, InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def test_statuses_keep_the_old_wire_values_and_add_intent_declined_no_show() -> None:
    assert [s.value for s in Status] == [
        "applied",
        "intent",
        "contacted",
        "interviewed",
        "offered",
        "hired",
        "rejected",
        "declined",
        "no_show",
    ]
    assert OPEN_STATUSES | OUTCOME_STATUSES == set(Status)
    assert Status.INTENT in OPEN_STATUSES and Status.NO_SHOW in OUTCOME_STATUSES
    # Corrections stay possible: every status to every other, never to itself.
    check_transition(Status.HIRED, Status.NO_SHOW)
    check_transition(Status.DECLINED, Status.INTENT)
    with pytest.raises(Conflict):
        check_transition(Status.INTENT, Status.INTENT)


def test_an_employer_sets_every_status_but_applied() -> None:
    assert Status.APPLIED not in EMPLOYER_STATUSES
    assert set(EMPLOYER_STATUSES) == set(Status) - {Status.APPLIED}
    assert parse_employer_status({"status": "intent"}) is Status.INTENT
    bads: list[object] = [{"status": "applied"}, {"status": "HIRED"}, {}, [], {"status": 1}]
    for bad in bads:
        with pytest.raises(InvalidInput) as caught:
            parse_employer_status(bad)
        assert "status" in caught.value.fields


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("顺丰速运（杭州）有限公司", "顺丰速运(杭州)有限公司"),
        ("顺丰 速运", "顺丰速运"),
        ("ＡＢＣ物流", "abc物流"),
        ("宁波港\u3000集团 ", "宁波港集团"),
    ],
)
def test_employer_names_match_across_spaces_width_and_case(a: str, b: str) -> None:
    assert employer_key(a) == employer_key(b)


def test_names_that_differ_in_a_character_are_two_employers() -> None:
    assert employer_key("顺丰速运") != employer_key("顺丰快运")
    jobs = [
        Job("a", "顺丰速运（杭州）", "x"),
        Job("b", "宁波港集团", "y"),
        Job("c", "顺丰速运(杭州)", "z"),
    ]
    assert match_employer("顺丰速运 (杭州)", jobs) == "顺丰速运（杭州）"
    assert [j.id for j in own_jobs("顺丰速运(杭州)", jobs)] == ["a", "c"]
    with pytest.raises(InvalidInput) as caught:
        match_employer("顺丰速运", jobs)
    assert "name" in caught.value.fields


def test_access_request_names_its_bad_fields() -> None:
    assert EmployerAccess.parse({"name": " 宁波港 ", "contact": "0574-1"}) == EmployerAccess(
        "宁波港", "0574-1"
    )
    with pytest.raises(InvalidInput) as caught:
        EmployerAccess.parse({"name": "", "contact": "x" * 101, "role": "admin"})
    assert set(caught.value.fields) >= {"role"} or set(caught.value.fields) >= {"name"}


def test_mask_name() -> None:
    assert mask_name("李卫国") == "李**"
    assert mask_name("A") == "A"


def test_progress_counts_intents_reports_and_who_has_not_reported() -> None:
    jobs = [Job("a", "顺丰", "x"), Job("b", "宁波港", "y"), Job("c", "顺丰 ", "z")]
    figures = {
        "a": JobFigures(5, {Status.INTENT: 2, Status.HIRED: 1, Status.NO_SHOW: 1}, 1000),
        "c": JobFigures(2, {Status.CONTACTED: 1}, 3000),
        "b": JobFigures(4, {}, None),
    }
    rows = progress(jobs, figures, contacts={"顺丰": "王"}, tokens={"顺丰": 2})
    sf, nb = rows
    assert (sf.employer, sf.jobs, sf.applications, sf.intents) == ("顺丰", 2, 7, 2)
    assert (sf.reported, sf.open, sf.hires, sf.last_report_at) == (3, 4, 1, 3000)
    assert (sf.contact, sf.tokens) == ("王", 2)
    assert (nb.reported, nb.open, nb.last_report_at, nb.tokens) == (0, 4, None, 0)
    assert nb.to_wire()["last_report_at"] is None
    assert sf.to_wire()["last_report_at"] == "1970-01-01T00:00:03.000Z"


def test_the_apply_body_carries_what_the_consent_said() -> None:
    req = ApplyRequest.parse(
        {
            "job_id": "j1",
            "name": "李",
            "phone": "13800138000",
            "consent": True,
            "consent_version": CURRENT_VERSION,
            "consent_to": "顺丰",
        }
    )
    assert (req.consent_version, req.consent_to) == (CURRENT_VERSION, "顺丰")
    with pytest.raises(InvalidInput) as caught:
        ApplyRequest.parse(
            {"job_id": "j1", "name": "李", "phone": "13800138000", "consent_version": "a b"}
        )
    assert set(caught.value.fields) == {"consent_version"}


def test_consent_covers_only_its_employer_under_a_full_text() -> None:
    def check(
        consent: bool | None = True,
        version: str | None = CURRENT_VERSION,
        consent_to: str | None = "顺丰（杭州）",
        employer: str = "顺丰(杭州)",
    ) -> bool:
        return covers(consent=consent, version=version, consent_to=consent_to, employer=employer)

    assert check()
    assert not check(employer="宁波港")
    assert not check(consent=False)
    assert not check(consent=None)
    assert not check(version=None)  # the old form
    assert not check(consent_to=None)


def test_the_consent_tells_the_four_things_of_pipl_article_23() -> None:
    for version in VERSIONS:
        zh = consent_text("zh-CN", employer="顺丰速运", contact="0571-1", version=version)
        en = consent_text("en", employer="顺丰速运", contact="0571-1", version=version)
        for part in ("顺丰速运", "0571-1", "单独同意", "个人信息种类", "处理目的", "处理方式"):
            assert part in zh, part
        for part in ("顺丰速运", "0571-1", "separately consent", "kinds of data", "purpose"):
            assert part in en, part
        assert "how the data is processed" in en
    assert "主办方" in consent_text("zh-CN", employer="x", contact=None)


def _js_string(path: Path, key: str) -> str:
    found = re.search(rf'"{re.escape(key)}":\s*"((?:[^"\\]|\\.)*)"', path.read_text())
    assert found, (path, key)
    return found.group(1).encode().decode("unicode_escape").encode("latin-1").decode()


def test_the_page_and_the_docs_say_what_the_domain_says() -> None:
    """The form shows the text of ``static/i18n`` (``consent.text``), the privacy notes quote
    it: all three must be the current version's, word for word."""
    docs = (ROOT / "docs" / "privacy.md").read_text()
    for lang, file in (("zh-CN", "zh-CN.js"), ("en", "en.js")):
        shown = _js_string(ROOT / "static" / "i18n" / file, "consent.text")
        expected = TEXTS[CURRENT_VERSION][lang]
        assert shown == expected, lang
        assert _js_string(ROOT / "static" / "i18n" / file, "consent.version") == CURRENT_VERSION
        assert expected in docs, lang
