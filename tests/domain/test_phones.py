"""The one phone rule (issue 14), synchronously: the shared table of cases, and properties."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveevent.domain import phones
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.phones import normalize_phone
from liveevent.errors import InvalidInput

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "phones.json").read_text(encoding="utf-8")
)
ACCEPTED: list[dict[str, Any]] = TABLE["accepted"]
REFUSED: list[dict[str, Any]] = TABLE["refused"]


def test_the_table_is_large_and_has_no_repeats() -> None:
    inputs = [json.dumps(case["input"]) for case in ACCEPTED + REFUSED]
    assert len(inputs) >= 60 and len(set(inputs)) == len(inputs)


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["kind"] for c in ACCEPTED])
def test_accepted_forms_are_stored_in_one_form(case: dict[str, Any]) -> None:
    assert normalize_phone(case["input"]) == case["stored"]


@pytest.mark.parametrize("case", REFUSED, ids=[c["kind"] for c in REFUSED])
def test_refused_forms_name_the_field_and_say_why(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_phone(case["input"], field="phone_number")
    why = info.value.fields["phone_number"]
    assert case["reason"] in why
    assert info.value.message.startswith("phone_number ")
    if case["reason"] != "is masked":  # every other refusal says what to write instead
        assert "13812345678" in why and "+852 9123 4567" in why
    if isinstance(case["input"], str):  # the message never repeats the number (it may be logged)
        digits = "".join(c for c in phones.fold_phone_text(case["input"]) if c.isdigit())
        assert len(digits) < 7 or digits not in why


def test_the_same_applicant_in_any_script_is_one_dedupe_key() -> None:
    keys = {
        ApplyRequest.parse({"job_id": "j1", "name": "王五", "phone": phone}).dedupe_key()
        for phone in ("13800138000", "138٠٠١٣٨٠٠٠", "１３８ ００１３ ８０００", "+86 138-0013-8000")
    }
    assert keys == {"j1|13800138000"}


def test_an_apply_body_with_a_bad_phone_names_it() -> None:
    with pytest.raises(InvalidInput) as info:
        ApplyRequest.parse({"job_id": "j1", "name": "王五", "phone": "010-12345678"})
    assert set(info.value.fields) == {"phone"} and "landline" in info.value.fields["phone"]


@given(st.from_regex(r"\A1[0-9]{10}\Z"))
def test_the_fast_path_agrees_with_the_parse(number: str) -> None:
    """An 11-digit ASCII number skips the parse; the parse must give the same answer."""
    try:
        slow: str | None = phones._canonical(number)
    except phones._Refused:
        slow = None
    try:
        fast: str | None = normalize_phone(number)
    except InvalidInput:
        fast = None
    assert fast == slow


@given(
    number=st.sampled_from([c["stored"] for c in ACCEPTED]),
    separator=st.sampled_from([" ", "-", "－", "\u00a0", "\u3000", "\u200b", ".", "/", ""]),
    width=st.booleans(),
    wrap=st.sampled_from([("", ""), ("\u2068", "\u2069"), ("tel:", ""), (" ", "\n")]),
)
def test_any_decoration_of_an_accepted_number_is_that_number(
    number: str, separator: str, width: bool, wrap: tuple[str, str]
) -> None:
    parsed = phonenumbers.parse(number if number.startswith("+") else "+86" + number)
    text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    text = text.replace(" ", separator)
    if width:  # as typed in an IME's full-width mode
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert normalize_phone(wrap[0] + text + wrap[1]) == number


def test_every_unicode_decimal_digit_reads_as_its_value() -> None:
    for code in range(0x110000):
        char = chr(code)
        value = unicodedata.decimal(char, None)
        if value is not None:
            assert phones.fold_phone_text(char) == str(value), hex(code)
