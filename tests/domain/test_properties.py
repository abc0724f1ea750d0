"""Property tests (hypothesis) for the domain rules (the codec's are in tests/store/test_codec.py).

Synchronous, no event loop, no store: the domain is pure.
"""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveevent.domain import applications, events, values
from liveevent.domain.applications import ApplyRequest, Status, mask_phone
from liveevent.domain.events import EventState
from liveevent.domain.phones import MAINLAND_MOBILE, normalize_phone
from liveevent.errors import Conflict, InvalidInput
from liveevent.store import codec

# Mainland mobiles in use (phonenumbers' data): 140-144, 154, ... are not phone numbers.
mainland = st.from_regex(MAINLAND_MOBILE, fullmatch=True)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def decorated(draw: st.DrawFn, number: str) -> str:
    """``number`` as people type it: prefixes, spaces, dashes, brackets, full-width digits."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "86", "(+86) "]))
    parts = [number[:3], number[3:7], number[7:]]
    sep = draw(st.sampled_from(["", " ", "-", " - ", "."]))
    text = prefix + sep.join(parts)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " "]))


@given(st.data(), mainland)
def test_mainland_numbers_normalize_to_eleven_digits(data: st.DataObject, number: str) -> None:
    typed = data.draw(decorated(number))
    assert normalize_phone(typed) == number


@given(st.text(max_size=40))
def test_phone_is_a_valid_form_or_a_named_error(raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except InvalidInput as exc:
        assert set(exc.fields) == {"phone"}
        return
    assert (len(phone) == 11 and phone.isdigit() and phone[0] == "1") or (
        phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16
    )
    assert normalize_phone(phone) == phone  # idempotent: a stored number re-validates
    masked = mask_phone(phone)
    assert len(masked) == len(phone) and phone[-4:] == masked[-4:]
    assert set(masked[3:-4]) <= {"*"}  # the middle digits never show


@given(st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.integers()), st.binary()))
def test_phone_of_the_wrong_type_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput):
        normalize_phone(raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["job_id", "name", "phone", "idempotency_key", "consent", "extra"]),
        json_values,
    )
)
def test_apply_request_accepts_or_names_fields(body: dict[str, object]) -> None:
    """Any JSON body: a clean request, or ``InvalidInput`` naming the fields; never a crash."""
    try:
        req = ApplyRequest.parse(body)
    except InvalidInput as exc:
        assert exc.fields and set(exc.fields) <= set(body) | {"job_id", "name", "phone"}
        return
    assert "extra" not in body
    assert 1 <= len(req.name) <= 50 and req.name == req.name.strip()
    assert req.name.encode()  # storable: no lone surrogates
    assert normalize_phone(req.phone) == req.phone
    assert req.dedupe_key() == f"{req.job_id}|{req.phone}"


@given(st.text(max_size=80))
def test_text_fields_are_storable_or_refused(raw: str) -> None:
    try:
        value = values.text({"name": raw}, "name", max_len=50)
    except InvalidInput as exc:
        assert set(exc.fields) == {"name"}
        return
    assert codec.unpack(codec.pack({"name": value}))["name"] == value


# State machines ---------------------------------------------------------------------------


@given(st.lists(st.sampled_from(list(EventState)), max_size=12))
def test_event_lifecycle_only_moves_forward(moves: list[EventState]) -> None:
    order = [EventState.SCHEDULED, EventState.LIVE, EventState.ENDED]
    state = EventState.SCHEDULED
    for target in moves:
        try:
            events.check_transition(state, target)
        except Conflict:
            assert order.index(target) <= order.index(state)
            continue
        assert order.index(target) > order.index(state)
        state = target
    if state is EventState.ENDED:
        for target in EventState:
            with pytest.raises(Conflict):
                events.check_transition(state, target)


@given(st.lists(st.sampled_from(list(Status)), max_size=20))
def test_application_status_any_change_but_to_itself(moves: list[Status]) -> None:
    """Outcomes come late and get corrected: any move is legal except to the same status. The
    hire count the moves leave (``hire_delta``, added up) is 1 exactly when the last status is
    hired. (The store runs the same moves: tests/store/test_rule_tables.py.)"""
    state = Status.APPLIED
    hired = 0
    for target in moves:
        if target is state:
            with pytest.raises(Conflict):
                applications.check_transition(state, target)
            assert applications.hire_delta(state, target) == 0
            continue
        applications.check_transition(state, target)
        hired += applications.hire_delta(state, target)
        state = target
        assert hired == applications.hires([state]) == (1 if state is Status.HIRED else 0)


@given(json_values)
def test_parse_status_and_state_never_crash(raw: object) -> None:
    for parse in (applications.parse_status, events.parse_state):
        try:
            parse(
                {"status": raw, "state": raw}
                if parse is applications.parse_status
                else {"state": raw}
            )
        except InvalidInput:
            pass


def test_infinite_and_nan_phone_are_refused() -> None:
    for raw in (math.inf, math.nan, "1" * 33, string.whitespace):
        with pytest.raises(InvalidInput):
            normalize_phone(raw)
