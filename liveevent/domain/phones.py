"""The one phone rule: what an applicant may type, paste or an employer's sheet may hold, and the
one form it is stored, deduplicated and matched in.

Every path that reads a phone number (HTTP and websocket apply, outcome sheets, the staff API's
filter) calls `normalize_phone`; the viewer page's check (``static/js/phone.js``) accepts a
superset of it, and ``tests/data/phones.json`` is the one table of cases run against both.

Theory of operation. The number is parsed by ``phonenumbers`` (Google's libphonenumber data:
which ranges are mobile, landline, toll-free, in use) with region CN, after three folds that
the library does not do, or does too generously:

1. Unicode format characters (category Cf: the U+2066-2069 isolates chat apps add on copy,
   zero-width spaces) are stripped (`liveevent.domain.text.strip_format_chars`).
2. NFKC folds full-width digits, ``＋``, ``－``, ``（）`` typed in an IME's full-width mode, and
   no-break and ideographic spaces, to ASCII.
3. Other Unicode decimal digits (Arabic-Indic ``١٣٨``, Devanagari, ...), which NFKC leaves
   alone, become ASCII digits by their ``unicodedata.decimal`` value, so ``138٠٠١٣٨٠٠٠`` and
   ``13800138000`` are one applicant.

Accepted: a mobile number (or, where the plan cannot tell, as in the US, a fixed-line-or-mobile
one) that the library knows to be valid, written with spaces, dashes, dots, slashes or brackets
anywhere, after a ``tel:`` prefix, as a mainland number (``138 2222 3333``, ``86 138...``,
``0138...``) or with ``+``/``00`` and any country code (``+86``, ``+852``, ``+853``, ``+886``,
abroad), ``(0)`` trunk prefix tolerated.

Refused, each with its own reason: landlines (SMS notifications need a mobile, and a fair's
switchboard number reaches nobody in particular), 400/800 and other service numbers, numbers
not in use, extensions, masked numbers (``138****5678``), letters (``1-800-FLOWERS`` would
otherwise be read as digits), other symbols, empty, too short or too long text, and numbers of
other regions written without ``+`` (``0912 345 678`` is read as a mainland number).

Stored form: a mainland mobile as its 11 digits (what liveevent always stored, so dedupe keys
and the applicants hash of existing events still match), any other number in E.164
(``+85291234567``).

Pure: ``re``, ``unicodedata`` and ``phonenumbers``; no I/O.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from liveevent.domain.text import strip_format_chars
from liveevent.errors import InvalidInput

REGION = "CN"
MAINLAND_COUNTRY_CODE = 86
# Longer text is refused before any parsing: the longest accepted form (``tel:``, ``+``, 15
# digits, a separator between each) fits in 64 with room, and parsing costs time per character.
MAX_TEXT_CHARS = 64
# Ends every refusal: what to write instead.
FORMAT_HINT = (
    "it must be a mobile number, 11 digits for the mainland (13812345678), or + and the "
    "country code (+852 9123 4567)"
)
ACCEPTED_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

# The library's own pattern for mainland mobiles: an already-stored 11-digit number (what nearly
# every client sends) is checked with one regex instead of a parse, and agrees with the parse
# by construction (``tests/domain/test_phones.py`` holds that).
_CN = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
_CN_MOBILE = _CN.mobile.national_number_pattern if _CN and _CN.mobile else None
if _CN_MOBILE is None:  # pragma: no cover (the library's data, not input)
    raise ImportError("phonenumbers has no pattern for mainland mobiles")
MAINLAND_MOBILE = re.compile(_CN_MOBILE, re.ASCII)

# After the folds: separators people write between digit groups. Dashes U+2010-2015 and U+2212
# are what word processors and phone keyboards turn ``-`` into.
_SEPARATORS = " \t-./()[]\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_ALLOWED = frozenset("0123456789+" + _SEPARATORS)
_TEL = re.compile(r"^tel:", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:;ext=|ext\.?|extension|x|#|转|分机)\s*\d{1,6}\s*$", re.IGNORECASE)
_MASKED = re.compile(r"[*×●]|[xX]{2,}")
MIN_DIGITS, MAX_DIGITS = 5, 18  # the shortest valid numbers; 00 + 15 digits + a (0) trunk
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def normalize_phone(raw: object, *, field: str = "phone") -> str:
    """The stored form of the phone number ``raw``: 11 digits for a mainland mobile
    (``13822223333``), E.164 for any other (``+85291234567``).

    ``field`` names the input in the error. Raises `InvalidInput` (``fields={field: why}``) for
    anything but text holding one valid mobile number; see the module docstring for the forms.
    The message never holds the number itself (messages may be logged).
    """
    if isinstance(raw, str) and len(raw) == 11 and raw.isascii() and MAINLAND_MOBILE.fullmatch(raw):
        return raw
    try:
        return _canonical(raw)
    except _Refused as refused:
        why = str(refused)
        raise InvalidInput(f"{field} {why}", fields={field: why}) from None


def fold_phone_text(text: str) -> str:
    """``text`` without format characters, NFKC-folded, every Unicode decimal digit as ASCII,
    trimmed. Never raises."""
    text = unicodedata.normalize("NFKC", strip_format_chars(text))
    if not text.isascii():
        text = _NON_ASCII.sub(_ascii_digit, text)
    return text.strip()


def _ascii_digit(match: re.Match[str]) -> str:
    char = match.group()
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


class _Refused(ValueError):
    """Why a text is not an accepted phone number, completing "phone ..."."""


def _canonical(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Refused(f"must be text: {FORMAT_HINT}")
    if len(raw) > MAX_TEXT_CHARS:
        raise _Refused(f"is too long (at most {MAX_TEXT_CHARS} characters): {FORMAT_HINT}")
    text = _TEL.sub("", fold_phone_text(raw)).strip()
    if not text:
        raise _Refused(f"is required: {FORMAT_HINT}")
    if _MASKED.search(text):
        raise _Refused("is masked (like 138****5678), which matches nobody: give it in full")
    if _EXTENSION.search(text):
        raise _Refused(f"has an extension: {FORMAT_HINT}, which has none")
    odd = next((char for char in text if char not in _ALLOWED), None)
    if odd is not None:
        what = "letters" if odd.isalpha() else repr(odd)
        raise _Refused(f"contains {what}, which is not part of a phone number: {FORMAT_HINT}")
    plus = text.find("+")
    if text.count("+") > 1 or any(char.isdigit() for char in text[: max(plus, 0)]):
        raise _Refused(f"has a + that is not in front: {FORMAT_HINT}")
    digits = sum(char.isdigit() for char in text)
    if digits < MIN_DIGITS:
        raise _Refused(f"is too short: {FORMAT_HINT}")
    if digits > MAX_DIGITS:
        raise _Refused(f"has too many digits: {FORMAT_HINT}")
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        raise _Refused(f"is not a phone number: {FORMAT_HINT}") from None
    if not phonenumbers.is_valid_number(number):
        raise _Refused(
            "is not a number in use (outside the mainland, write + and the country code): "
            + FORMAT_HINT
        )
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.FIXED_LINE:
        raise _Refused(f"is a landline: {FORMAT_HINT}")
    if kind not in ACCEPTED_TYPES:
        raise _Refused(f"is a service number, not a mobile: {FORMAT_HINT}")
    if number.country_code == MAINLAND_COUNTRY_CODE:
        return str(number.national_number)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
