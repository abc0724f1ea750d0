"""Reading single cell values: clean text, comparison keys, headcounts and salaries.

Display text is kept as the employer wrote it (only trimmed); numbers are read after Unicode NFKC
normalisation, which turns full-width digits and punctuation (``招８人``, ``１～２万``) into ASCII.
Cells come from `read_sheet`, which has already stripped invisible format characters (U+202E,
U+200B, ...: `liveevent.domain.text`) from every cell, so these functions need not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Trim the cell and collapse runs of whitespace (newlines included) to one space."""
    return _SPACES.sub(" ", text).strip()


def clean_multiline(text: str) -> str:
    """Trim the cell but keep its line breaks (for descriptions); CRLF becomes LF."""
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(lines).strip()


def fold(text: str) -> str:
    """A comparison key: NFKC, case-folded, without any whitespace.

    ``飞书科技（上海）`` and ``飞书科技 (上海)`` fold to the same key.
    """
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


class NotACount(ValueError):
    """The cell is not a headcount."""


@dataclass(frozen=True, slots=True)
class Headcount:
    """How many people a job wants, as a range; either end may be unknown.

    ``8`` -> (8, 8); ``10-20人`` -> (10, 20); ``20人以上`` -> (20, None); ``10人以内`` ->
    (None, 10); ``若干`` or blank -> (None, None), the value "unknown".
    """

    low: int | None
    high: int | None

    @property
    def known(self) -> bool:
        return self.low is not None or self.high is not None


UNKNOWN_HEADCOUNT = Headcount(None, None)
MAX_HEADCOUNT = 1_000_000  # as ``domain.jobs.MAX_OPENINGS``
# Words (after `fold`) that mean "some people, how many is not said". Dashes and slashes are what
# HR sheets put in a cell they mean to leave blank.
_UNKNOWN_WORDS = frozenset(
    fold(word)
    for word in (
        "若干", "数名", "多名", "不限", "人数不限", "不定", "待定", "未定", "不详", "面议",
        "n/a", "na", "tbd", "-", "--", "/", "—", "——", "*", "?", "?", "~",
    )
)  # fmt: skip
# "招若干人", "若干名": the words above inside the usual prefix and unit.
_UNKNOWN_WRAP = re.compile(r"^(?:招聘?|需要?)|(?:人|名|个|位)$")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = "[零〇一二两三四五六七八九十百千]+"
_NUM = rf"(\d+(?:\.0+)?|{_CN_NUMBER})"
# 招/招聘/需/约/共... before, 人/名/个/位 after, then 以上/以下/...; "5~10" and "10至20人".
_HEADCOUNT = re.compile(
    rf"^(?:计划)?(?:招聘?|需要?|约|共|拟招)?(?:人数)?[:：]?{_NUM}(?:人|名|个|位)?"
    rf"(?:[-~～至到—–]{_NUM})?(?:人|名|个|位)?(左右|以上|及以上|或以上|\+|多|余|以下|以内|及以下)?"
    r"(?:人|名|个|位)?$"
)
_AT_LEAST = frozenset({"以上", "及以上", "或以上", "+", "多", "余"})
_AT_MOST = frozenset({"以下", "以内", "及以下"})


def _number(text: str) -> int:
    """``8``, ``8.0``, ``十`` (10), ``十五``, ``二十``, ``两百``, ``三百五十`` -> int."""
    if text[0].isdigit():
        return int(float(text)) if "." in text else int(text)
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            if digit is not None:  # "一二" is not a number
                raise NotACount(text)
            digit = _CN_DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
    return total + (digit or 0)


# Sheets repeat a few headcount texts (招1人 ... 招9人) over thousands of rows: a cache makes the
# 100,000-row import pay for each distinct text once. Bounded, and a Headcount is immutable.
@functools.lru_cache(maxsize=4096)
def parse_headcount(text: str) -> Headcount:
    """Read a headcount cell as people write it.

    ``招8人``/``8``/``8名``/``8.0`` -> (8, 8); ``10-20人``/``5~10``/``10至20人`` -> (10, 20);
    ``20人以上``/``20+``/``20余人`` -> (20, None); ``10人以内`` -> (None, 10); ``十人`` -> (10, 10)
    (Chinese numerals up to 千); ``招若干人``, ``若干``, ``不限``, ``-`` or blank -> unknown.
    Full-width forms read like ASCII (NFKC). ``约10人``/``10人左右`` is taken as 10.
    Raises `NotACount` for anything else, including zero and a range whose top is below its low.
    """
    key = fold(text)
    if not key:
        return UNKNOWN_HEADCOUNT
    if key.isdigit():  # the common case, first
        count = int(key)
        if not 1 <= count <= MAX_HEADCOUNT:
            raise NotACount(f"{text!r}: a headcount is from 1 to {MAX_HEADCOUNT}")
        return Headcount(count, count)
    if key in _UNKNOWN_WORDS or _UNKNOWN_WRAP.sub("", key) in _UNKNOWN_WORDS:
        return UNKNOWN_HEADCOUNT
    match = _HEADCOUNT.match(key)
    if match is None:
        raise NotACount(f"{text!r} is not a headcount such as 招8人, 10-20人, 20人以上 or 若干")
    first, second, bound = match.groups()
    try:
        low = _number(first)
        high = _number(second) if second is not None else low
    except NotACount:
        raise NotACount(f"{text!r} is not a number of people") from None
    if low < 1 or high < low or high > MAX_HEADCOUNT:
        raise NotACount(
            f"{text!r}: a headcount is from 1 to {MAX_HEADCOUNT}, and a range runs low to high"
        )
    if bound in _AT_LEAST:
        return Headcount(low, None)
    if bound in _AT_MOST:
        return Headcount(None, high)
    return Headcount(low, high)


def looks_like_headcount(text: str) -> bool:
    """True for cells that can only be a headcount (``招8人``, ``招若干人``).

    Used to spot values that slid into the wrong column; a bare ``8`` or ``150-500人`` (a
    company's size) could be anything, so only a cell that starts with 招 counts.
    """
    key = fold(text)
    if not key.startswith("招"):
        return False
    try:
        parse_headcount(key)
    except NotACount:
        return False
    return True


@dataclass(frozen=True, slots=True)
class SalaryRange:
    """A pay range in CNY per month; either end may be unknown (``12000以上`` has no top)."""

    low_cny_month: int | None
    high_cny_month: int | None


_UNIT = {"": 1, "元": 1, "k": 1000, "千": 1000, "w": 10000, "万": 10000}
# Months per period. Daily and hourly pay are left unparsed: how many days a month is a guess.
_PER = {"": 1, "月": 1, "month": 1, "mo": 1, "年": 12, "year": 12, "yr": 12}
_NUMBER = r"(\d+(?:\.\d+)?)\s*(k|千|w|万)?\s*元?"
_SALARY = re.compile(
    rf"^{_NUMBER}(?:\s*[-~至到—–]\s*{_NUMBER})?"
    r"(?:\s*(?:/|每|一)\s*(月|month|mo|年|year|yr|天|日|day|小时|时|hour|h))?"
    r"\s*(以上|以下|起)?"
    r"(?:[·*x×,]?\s*\d+\s*薪)?$"
)


def parse_salary(text: str) -> SalaryRange | None:
    """Read a salary cell as a monthly CNY range, or None when it cannot be read (``面议``).

    ``2.5-5万/月`` -> 25000-50000, ``6-8千/月`` -> 6000-8000, ``20-30万/年`` -> 16667-25000,
    ``10000-18000`` -> 10000-18000, ``12000以上`` -> 12000-None, ``15k-25k·13薪`` -> 15000-25000.
    A bare number without unit or period is taken as yuan per month, the usual way job sites
    write it; a bare number under 500 is too odd to guess at and gives None.
    """
    key = fold(text).replace("rmb", "").replace("¥", "").replace("￥", "")
    match = _SALARY.match(key)
    if match is None:
        return None
    low_num, low_unit, high_num, high_unit, per, bound = match.groups()
    if per is not None and per not in _PER:
        return None
    months = _PER[per or ""]
    # "2.5-5万": the unit written once, after the second number, applies to both.
    low_scale = _UNIT[low_unit or high_unit or ""]
    low = float(low_num) * low_scale / months
    high = float(high_num) * _UNIT[high_unit or ""] / months if high_num is not None else None
    if low_scale == 1 and per is None and low < 500:
        return None
    if high is None:
        if bound == "以下":
            return SalaryRange(None, round(low))
        if bound in ("以上", "起"):
            return SalaryRange(round(low), None)
        return SalaryRange(round(low), round(low))
    if high < low:
        return None
    return SalaryRange(round(low), round(high))


def looks_like_salary(text: str) -> bool:
    """True for cells that can only be a salary: a readable range with a unit, or ``面议``."""
    key = fold(text)
    if key in ("面议", "薪资面议", "工资面议"):
        return True
    match = _SALARY.match(key)
    return match is not None and any(match.group(i) for i in (2, 4, 5))
