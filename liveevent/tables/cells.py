"""Reading single cell values: clean text, comparison keys, headcounts and salaries.

Display text is kept as the employer wrote it (only trimmed); numbers are read after Unicode NFKC
normalisation, which turns full-width digits and punctuation (``招８人``, ``１～２万``) into ASCII.
Cells come from `read_sheet`, which has already stripped invisible format characters (U+202E,
U+200B, ...: `liveevent.domain.text`) from every cell, so these functions need not.
"""

from __future__ import annotations

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


_HEADCOUNT = re.compile(r"^(?:招聘?)?(\d+|若干|数名|多名|不限)(?:人|名|个)?$")


def parse_headcount(text: str) -> int | None:
    """``招8人``/``8``/``8人`` -> 8; ``招若干人``, ``若干`` or blank -> None (unknown).

    Raises `NotACount` for anything else, including zero.
    """
    key = fold(text)
    if not key:
        return None
    match = _HEADCOUNT.match(key)
    if match is None:
        raise NotACount(f"{text!r} is not a headcount such as 招8人 or 8")
    if not match.group(1).isdigit():
        return None
    count = int(match.group(1))
    if count < 1:
        raise NotACount(f"{text!r}: the headcount must be at least 1")
    return count


def looks_like_headcount(text: str) -> bool:
    """True for cells that can only be a headcount (``招8人``, ``招若干人``).

    Used to spot values that slid into the wrong column; a bare ``8`` could be anything, so it
    does not count.
    """
    key = fold(text)
    return key.startswith("招") and _HEADCOUNT.match(key) is not None


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
