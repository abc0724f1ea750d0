"""Sign-ups (预约): people who ask, before the broadcast, to be reminded of it.

Theory of operation: while an event is ``scheduled`` a person gives a name, a phone, a city and
their consent to be reminded through the organiser's SMS or work-chat gateway. The same phone
(by the apply path's phone rule, ``domain.phones``) signs up once per event: a second sign-up
answers the first one's id with ``duplicate: true``. Each sign-up gets reminders at the
configured offsets before the event's start (``domain.notices.reminder_plan``) and one at
go-live. The sign-up's id doubles as the page's *watch token*: the viewer page keeps it and
says "I am watching" once the event is live, which is how the funnel knows who watched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveevent.domain import values
from liveevent.domain.phones import normalize_phone
from liveevent.errors import InvalidInput

SIGNUP_FIELDS = frozenset({"name", "phone", "city", "consent", "idempotency_key"})


@dataclass(frozen=True, slots=True)
class SignupRequest:
    """A sign-up body, validated: ``name`` 1-50 characters, ``phone`` normalised, ``city``
    up to 20 characters (or None), ``consent`` True (required: reminders are sent only to
    people who agreed), ``idempotency_key`` 1-128 printable characters or None.

    Build it with ``parse`` (which raises ``InvalidInput``); the constructor checks nothing.
    """

    name: str
    phone: str
    city: str | None
    idempotency_key: str | None

    @classmethod
    def parse(cls, data: object) -> SignupRequest:
        """Validate a sign-up body, naming every bad or unknown field at once.

        Raises ``InvalidInput`` (``consent`` must be ``true``: without it nothing may be sent).
        """
        body = values.only_fields(data, SIGNUP_FIELDS, what="body")
        parsed = values.check_all(
            {
                "name": lambda: values.text(body, "name", max_len=50),
                "phone": lambda: normalize_phone(body.get("phone")),
                "city": lambda: values.optional_text(body, "city", max_len=20),
                "consent": lambda: _consent(body),
                "idempotency_key": lambda: _idempotency_key(body),
            },
            what="sign-up",
        )
        return cls(
            name=parsed["name"],
            phone=parsed["phone"],
            city=parsed["city"],
            idempotency_key=parsed["idempotency_key"],
        )

    def to_record(self, signup_id: str, now: int) -> dict[str, Any]:
        """The stored form (the signups stream's entry): ``id``, ``name``, ``phone``,
        ``city`` (only when set), ``consent`` (always True), ``signed_up_at`` (Unix ms).
        Raises nothing."""
        record: dict[str, Any] = {
            "id": signup_id,
            "name": self.name,
            "phone": self.phone,
            "consent": True,
            "signed_up_at": now,
        }
        if self.city is not None:
            record["city"] = self.city
        return record


def _consent(body: dict[str, Any]) -> bool:
    if body.get("consent") is not True:
        why = "must be true: reminders are sent only with consent"
        raise InvalidInput(f"consent {why}", fields={"consent": why})
    return True


def _idempotency_key(body: dict[str, Any]) -> str | None:
    value = body.get("idempotency_key")
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not value.isprintable():
        why = "must be 1-128 printable characters"
        raise InvalidInput(f"idempotency_key {why}", fields={"idempotency_key": why})
    return value


@dataclass(frozen=True, slots=True)
class Funnel:
    """An event's funnel: sign-ups, and how many of them watched, applied and were hired.

    ``show_up_rate`` is watched / signed up (0.0 with no sign-ups), rounded to 4 places.
    Counts are of sign-ups (people), not of applications. Raises nothing.
    """

    signed_up: int
    watched: int
    applied: int
    hired: int

    @property
    def show_up_rate(self) -> float:
        """Watched / signed up, 0.0 with no sign-ups. Raises nothing."""
        return round(self.watched / self.signed_up, 4) if self.signed_up else 0.0

    def to_wire(self) -> dict[str, Any]:
        """``{"signed_up", "watched", "applied", "hired", "show_up_rate"}``. Raises nothing."""
        return {
            "signed_up": self.signed_up,
            "watched": self.watched,
            "applied": self.applied,
            "hired": self.hired,
            "show_up_rate": self.show_up_rate,
        }
