import pytest

from liveevent.tables.cells import (
    NotACount,
    SalaryRange,
    fold,
    looks_like_headcount,
    looks_like_salary,
    parse_headcount,
    parse_salary,
)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2.5-5万/月", 25000, 50000),
        ("6-8千/月", 6000, 8000),
        ("20-30万/年", 16667, 25000),
        ("10000-18000", 10000, 18000),
        ("12000以上", 12000, None),
        ("1万以下", None, 10000),
        ("15k-25k·13薪", 15000, 25000),
        ("１.５－２万／月", 15000, 20000),  # full width throughout
        ("8000元/月", 8000, 8000),
    ],
)
def test_salary_ranges_are_monthly_cny(text: str, low: int | None, high: int | None) -> None:
    assert parse_salary(text) == SalaryRange(low, high)


@pytest.mark.parametrize("text", ["面议", "150元/天", "30", "8-5千/月", "不限", ""])
def test_salaries_that_cannot_be_read_give_none(text: str) -> None:
    assert parse_salary(text) is None


@pytest.mark.parametrize(
    ("text", "count"),
    [("招8人", 8), ("招８人", 8), ("8", 8), (" 12人 ", 12), ("招若干人", None), ("", None)],
)
def test_headcounts(text: str, count: int | None) -> None:
    assert parse_headcount(text) == count


@pytest.mark.parametrize("text", ["很多", "招0人", "3-4年经验"])
def test_not_a_headcount(text: str) -> None:
    with pytest.raises(NotACount):
        parse_headcount(text)


def test_shape_checks_only_claim_unmistakable_values() -> None:
    assert looks_like_headcount("招2人") and looks_like_headcount("招若干人")
    assert not looks_like_headcount("2") and not looks_like_headcount("150-500人")
    assert looks_like_salary("6-8千/月") and looks_like_salary("面议")
    assert not looks_like_salary("10000-18000") and not looks_like_salary("3-4年经验")


def test_fold_ignores_width_case_and_spaces() -> None:
    assert fold("飞书科技（上海） Ltd") == fold("飞书科技(上海)ltd")
