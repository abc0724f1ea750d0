"""Ids that Excel turned into numbers, matched back to the ids they were.

An employer opens an exported sheet in Excel, edits it and sends it back. Excel reads every id
that looks like a number as one: job ``007`` comes back as ``7``, application ``1`` may come
back as ``1.0`` from tools that write floats, and an id of 12 digits or more is shown, and saved
as CSV, in scientific notation (``1.23457E+11``), rounded to the digits shown. `excel_number`
reads such a cell; `IdMatch` finds the one known id it came from, or says why it cannot.

Only ids made of digits can be mangled this way, and only they are matched: ``J-7`` is text to
Excel. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WHOLE = re.compile(r"(\d+)(?:\.0*)?")
_SCIENTIFIC = re.compile(r"(\d)(?:\.(\d*))?e\+?(\d{1,3})")


@dataclass(frozen=True, slots=True)
class ExcelNumber:
    """A whole number read from a cell. ``digits`` is None when ``value`` is exact, else the
    significant digits Excel kept (``1.23457E+11`` -> 123457000000, 6 digits)."""

    value: int
    digits: int | None = None

    def could_be(self, known_id: str) -> bool:
        """True when ``known_id`` (digits only) is a number Excel would show as this one."""
        if not known_id.isascii() or not known_id.isdigit():
            return False
        number = int(known_id)
        if self.digits is None:
            return number == self.value
        drop = len(str(number)) - self.digits
        if drop <= 0:
            return number == self.value
        step = 10**drop
        rounded: int = (number + step // 2) // step * step  # Excel rounds half up
        return rounded == self.value


def excel_number(text: str) -> ExcelNumber | None:
    """``7``, ``007``, ``7.0``, ``１``, ``1.23457E+11`` -> the number; None for anything else
    (``J-7``, ``7.5``, blank)."""
    key = unicodedata.normalize("NFKC", text).strip().casefold()
    whole = _WHOLE.fullmatch(key)
    if whole is not None:
        return ExcelNumber(int(whole.group(1)))
    sci = _SCIENTIFIC.fullmatch(key)
    if sci is None:
        return None
    lead, fraction, exponent = sci.group(1), sci.group(2) or "", int(sci.group(3))
    fraction = fraction.rstrip("0")
    if len(fraction) > exponent:
        return None  # not a whole number
    value = int(lead + fraction) * 10 ** (exponent - len(fraction))
    kept = 1 + len(fraction)
    return ExcelNumber(value, None if kept >= exponent + 1 else kept)


@dataclass(frozen=True, slots=True)
class IdMatch:
    """The outcome of matching a cell to known ids: ``id`` when exactly one fits, else None and
    ``why`` (no id fits, or several do: then they are the ``candidates``)."""

    id: str | None
    why: str = ""
    candidates: tuple[str, ...] = ()


class KnownIds:
    """Ids that exist (an event's job ids), indexed to match cells against (`match`)."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = frozenset(known)
        self._by_number: dict[int, list[str]] = {}
        for known_id in sorted(self.known):
            if known_id.isascii() and known_id.isdigit():
                self._by_number.setdefault(int(known_id), []).append(known_id)

    def match(self, text: str, *, what: str, where: str = "in this event") -> IdMatch:
        """``text`` itself if known, else the one digits-only id that Excel would have turned
        into this number, else why not. ``what`` names the id in the reason ("job"), ``where``
        the place it was looked for."""
        if text in self.known:
            return IdMatch(text)
        number = excel_number(text)
        if number is None:
            return IdMatch(None, f"no {what} {text!r} {where}")
        if number.digits is None:
            fits = self._by_number.get(number.value, [])
        else:
            fits = [i for ids in self._by_number.values() for i in ids if number.could_be(i)]
        if len(fits) == 1:
            return IdMatch(fits[0])
        if fits:
            shown = ", ".join(repr(f) for f in fits[:5])
            return IdMatch(
                None,
                f"{what} {text!r} could be any of {shown} (Excel turned the id into a number); "
                "format the column as text and write the id in full",
                tuple(fits),
            )
        if number.digits is not None:
            return IdMatch(
                None,
                f"no {what} {text!r} {where}: Excel rounded the id to {number.digits} digits; "
                "format the column as text and write the id in full",
            )
        return IdMatch(None, f"no {what} {text!r} {where}")
