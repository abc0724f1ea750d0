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
    ("text", "low", "high"),
    [
        ("招8人", 8, 8),
        ("招８人", 8, 8),
        ("8", 8, 8),
        (" 12人 ", 12, 12),
        ("招若干人", None, None),
        ("", None, None),
        # People's forms (issue 14): ranges keep both ends, "unknown" is a value.
        ("10-20人", 10, 20),
        ("5~10", 5, 10),
        ("３～５名", 3, 5),
        ("10至20人", 10, 20),
        ("招3-5人", 3, 5),
        ("2到3个", 2, 3),
        ("20人以上", 20, None),
        ("20+", 20, None),
        ("30余人", 30, None),
        ("5名及以上", 5, None),
        ("10人以内", None, 10),
        ("3人以下", None, 3),
        ("8名", 8, 8),
        ("招聘3名", 3, 3),
        ("需2人", 2, 2),
        ("约10人", 10, 10),
        ("10人左右", 10, 10),
        ("6.0", 6, 6),
        ("若干", None, None),
        ("若干名", None, None),
        ("不限", None, None),
        ("人数不限", None, None),
        ("待定", None, None),
        ("-", None, None),
        ("/", None, None),
        # Chinese numerals are read: offices write 十人 and 两名 as often as 10人.
        ("十人", 10, 10),
        ("两名", 2, 2),
        ("十五人", 15, 15),
        ("二十人以上", 20, None),
        ("三至五人", 3, 5),
        ("一百", 100, 100),
    ],
)
def test_headcounts(text: str, low: int | None, high: int | None) -> None:
    count = parse_headcount(text)
    assert (count.low, count.high) == (low, high)


@pytest.mark.parametrize(
    "text",
    ["很多", "招0人", "3-4年经验", "2000000人"],
)
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
