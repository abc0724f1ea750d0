"""Applications: who applied for which job, and what became of it.

Theory of operation: an application starts ``applied``. Staff, the employer on its own page
(``domain.employers``), or an employer's outcome sheet move it to any other status; outcomes
arrive weeks later and in any order, and corrections are normal, so every status may move to
every other. Moving to the status it already has is refused (it would record a change that did
not happen). Each move is appended to the status stream; the
current status is the last move.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from liveevent.domain import values
from liveevent.domain.phones import normalize_phone
from liveevent.errors import Conflict, InvalidInput

APPLY_FIELDS = frozenset(
    {"job_id", "name", "phone", "idempotency_key", "consent", "city", "channel", "venue", "source"}
    | {"consent_version", "consent_to"}
) | {"card_id"}  # card_id: a replay application's card (issue 17), ``ApplyRequest.card_id``
# notify_status: the applicant asked to be told of status changes (issue 17 part 4)
APPLY_FIELDS |= {"notify_status"}


class Source(enum.StrEnum):
    """Where an application was made: during the broadcast (the default), while watching the
    recording afterwards, or by staff at a venue's or a service station's station page on
    behalf of the person in front of them. The value is the wire and store text.
    """

    LIVE = "live"
    REPLAY = "replay"
    STATION = "station"


# Attribution (issue 16): which city the viewer said they are in, which channel's link they
# came through, which venue (or station) the application was made at, and its ``Source``.
# Each is optional: absent means unknown (or, for ``source``, live), and a stored record
# carries only those that are set, so older records and clients read as before.
ATTRIBUTION_FIELDS = ("city", "channel", "venue", "source")
# What the applicant consented to (``domain.consent``), stored only when the client said.
CONSENT_FIELDS = ("consent_version", "consent_to")


class Status(enum.StrEnum):
    """An application's status; the value is the wire and store text. See the module.

    In the order of a hiring: ``intent`` (达成意向: the employer and the applicant agreed to go
    on, usually while the card is on screen), then the outcomes ``contacted``, ``interviewed``,
    ``offered``, ``hired``, or the ends that are not a hire: ``rejected`` (the employer said
    no; an employer's "declined" is this), ``declined`` (the applicant said no) and
    ``no_show`` (the applicant did not come to the interview or the first day). The wire
    values of the first six are as before issue 16.

    ``Status(text)`` raises ``ValueError`` for any other text; ``parse_status`` turns that into
    ``InvalidInput``.
    """

    APPLIED = "applied"
    INTENT = "intent"
    CONTACTED = "contacted"
    INTERVIEWED = "interviewed"
    OFFERED = "offered"
    HIRED = "hired"
    REJECTED = "rejected"
    DECLINED = "declined"
    NO_SHOW = "no_show"


# What counts as an employer having reported on an application: any status past ``applied``
# and ``intent`` (an intent is agreed at the table; the outcome comes later).
OPEN_STATUSES: frozenset[Status] = frozenset({Status.APPLIED, Status.INTENT})
OUTCOME_STATUSES: frozenset[Status] = frozenset(Status) - OPEN_STATUSES


TRANSITIONS: dict[Status, frozenset[Status]] = {
    status: frozenset(Status) - {status} for status in Status
}


def parse_status(data: object) -> Status:
    """The ``status`` field of a request body ``{"status": "..."}``.

    Raises ``InvalidInput`` naming ``status`` (and listing the statuses) for a missing or
    unknown one, or a body that is not an object.
    """
    raw = data.get("status") if isinstance(data, dict) else None
    try:
        return Status(str(raw))
    except ValueError:
        why = "must be one of " + ", ".join(s.value for s in Status)
        raise InvalidInput(f"status {why}", fields={"status": why}) from None


def check_transition(current: Status, target: Status) -> None:
    """Returns None if ``current`` may move to ``target`` (``TRANSITIONS``).

    Raises ``Conflict`` for a move to the status it already has, the only one refused.
    """
    if target not in TRANSITIONS[current]:
        raise Conflict(f"the application is already {current}")


def mask_phone(phone: str) -> str:
    """``13812345678`` -> ``138****5678``: what a host may see.

    Keeps the first 3 and last 4 characters; 7 or fewer become all ``*`` (same length).
    Raises nothing.
    """
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """A viewer's application, validated, before it is stored.

    ``phone`` is normalised (``domain.phones``); ``consent`` None means not asked.
    Build it with ``parse`` (which raises ``InvalidInput``); the constructor checks nothing.
    """

    job_id: str
    name: str
    phone: str
    idempotency_key: str | None
    consent: bool | None
    city: str | None = None
    channel: str | None = None
    venue: str | None = None
    source: Source | None = None
    # The card showing in the recording when a replay application was made (issue 17): only
    # with ``source`` replay; whether the card was pushed in this event is the caller's check.
    # A live application never names its card: the store records the one on screen.
    card_id: str | None = None
    # What the consent checkbox said (PIPL Art. 23, ``domain.consent``): the version of its
    # text and the recipient employer it named; None when the client did not say.
    consent_version: str | None = None
    consent_to: str | None = None
    # The applicant ticked "tell me about interviews and hires" (issue 17 part 4, shown only
    # while the event's status notices are on, ``domain.status_notices``); None: not asked.
    notify_status: bool | None = None

    @classmethod
    def parse(cls, data: object, *, extra_fields: frozenset[str] = frozenset()) -> ApplyRequest:
        """Validate an apply body; every bad field is named at once.

        Accepts ``APPLY_FIELDS`` plus ``extra_fields`` (checked by the caller). ``name`` is
        1-50 characters, ``idempotency_key`` 1-128 printable ones; the optional attribution
        fields: ``city`` up to 20 characters, ``channel`` and ``venue`` identifiers, ``source``
        a ``Source``; ``card_id`` an identifier, only with ``source`` replay. Whether a city,
        channel, venue or card exists in the event is the caller's check. Raises
        ``InvalidInput`` naming every bad or unknown field.
        """
        body = values.only_fields(data, APPLY_FIELDS | extra_fields, what="body")
        try:
            # Thousands a second arrive in a burst: a valid body is checked field by field
            # straight through; only a bad one pays for collecting every problem.
            return cls(
                values.identifier(body, "job_id"),
                values.text(body, "name", max_len=50),
                normalize_phone(body.get("phone")),
                _idempotency_key(body),
                _consent(body),
                *_attribution(body),
                _replay_card(body),
                *_consent_shown(body),
                _notify_status(body),
            )
        except InvalidInput:
            pass
        parsed = values.check_all(
            {
                "job_id": lambda: values.identifier(body, "job_id"),
                "name": lambda: values.text(body, "name", max_len=50),
                "phone": lambda: normalize_phone(body.get("phone")),
                "idempotency_key": lambda: _idempotency_key(body),
                "consent": lambda: _consent(body),
                "city": lambda: values.optional_text(body, "city", max_len=20),
                "channel": lambda: _optional_identifier(body, "channel"),
                "venue": lambda: _optional_identifier(body, "venue"),
                "source": lambda: _source(body),
                "card_id": lambda: _replay_card(body),
                "consent_version": lambda: _optional_identifier(body, "consent_version"),
                "consent_to": lambda: values.optional_text(body, "consent_to", max_len=100),
                "notify_status": lambda: _notify_status(body),
            },
            what="application",
        )
        return cls(**parsed)  # pragma: no cover (check_all raised: a check failed above)

    def dedupe_key(self) -> str:
        """Same job and same phone is the same application: ``"<job_id>|<phone>"``.

        Raises nothing.
        """
        return f"{self.job_id}|{self.phone}"


def _idempotency_key(body: dict[str, Any]) -> str | None:
    value = body.get("idempotency_key")
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not value.isprintable():
        why = "must be 1-128 printable characters"
        raise InvalidInput(f"idempotency_key {why}", fields={"idempotency_key": why})
    return value


def _attribution(body: dict[str, Any]) -> tuple[str | None, str | None, str | None, Source | None]:
    return (
        values.optional_text(body, "city", max_len=20),
        _optional_identifier(body, "channel"),
        _optional_identifier(body, "venue"),
        _source(body),
    )


def _consent_shown(body: dict[str, Any]) -> tuple[str | None, str | None]:
    return (
        _optional_identifier(body, "consent_version"),
        values.optional_text(body, "consent_to", max_len=100),
    )


def _notify_status(body: dict[str, Any]) -> bool | None:
    value = body.get("notify_status")
    if value is not None and not isinstance(value, bool):
        raise InvalidInput("notify_status must be true or false",
                           fields={"notify_status": "must be a boolean"})  # fmt: skip
    return value


def _optional_identifier(body: dict[str, Any], field: str) -> str | None:
    return values.identifier(body, field) if body.get(field) is not None else None


def _source(body: dict[str, Any]) -> Source | None:
    raw = body.get("source")
    if raw is None:
        return None
    try:
        return Source(raw) if isinstance(raw, str) else Source("")
    except ValueError:
        why = "must be one of " + ", ".join(s.value for s in Source)
        raise InvalidInput(f"source {why}", fields={"source": why}) from None


def _replay_card(body: dict[str, Any]) -> str | None:
    card_id = _optional_identifier(body, "card_id")
    if card_id is not None and body.get("source") != Source.REPLAY:
        why = "only a replay application (source 'replay') names its card"
        raise InvalidInput(f"card_id: {why}", fields={"card_id": why})
    return card_id


def _consent(body: dict[str, Any]) -> bool | None:
    value = body.get("consent")
    if value is not None and not isinstance(value, bool):
        raise InvalidInput("consent must be true or false", fields={"consent": "must be a boolean"})
    return value


class Application(NamedTuple):
    """A stored application, as read back from the applications stream.

    A named tuple rather than a frozen dataclass: exports build a million of these, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) costs 3.5x as much.
    ``applied_at`` is Unix milliseconds; ``card_id`` the card on screen when it came, if any;
    ``via`` the way in (``"http"``, ``"ws"``, ...).
    Constructing one checks nothing and raises nothing.
    """

    application_id: str
    job_id: str
    name: str
    phone: str
    applied_at: int
    card_id: str | None
    consent: bool | None
    via: str
    city: str | None = None
    channel: str | None = None
    venue: str | None = None
    source: str | None = None  # a Source value; None: live (``ATTRIBUTION_FIELDS``)
    consent_version: str | None = None  # ``ApplyRequest.consent_version``
    consent_to: str | None = None  # the recipient employer the consent named
    notify_status: bool | None = None  # ``ApplyRequest.notify_status``

    def to_record(self) -> dict[str, Any]:
        """The stored form: a dict of every field by name (attribution fields only when set).
        Raises nothing."""
        record = {
            "application_id": self.application_id,
            "job_id": self.job_id,
            "name": self.name,
            "phone": self.phone,
            "applied_at": self.applied_at,
            "card_id": self.card_id,
            "consent": self.consent,
            "via": self.via,
        }
        for field in (*ATTRIBUTION_FIELDS, *CONSENT_FIELDS):
            value = getattr(self, field)
            if value is not None:
                record[field] = value
        if self.notify_status is not None:
            record["notify_status"] = self.notify_status
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Application:
        """The inverse of ``to_record``; older records without ``card_id``, ``consent`` or
        ``via`` read as None, None and ``"http"``, and missing attribution fields as None.
        Raises ``KeyError`` for a record missing a required field (id, job, name, phone,
        ``applied_at``)."""
        return cls(
            application_id=record["application_id"],
            job_id=record["job_id"],
            name=record["name"],
            phone=record["phone"],
            applied_at=record["applied_at"],
            card_id=record.get("card_id"),
            consent=record.get("consent"),
            via=record.get("via", "http"),
            city=record.get("city"),
            channel=record.get("channel"),
            venue=record.get("venue"),
            source=record.get("source"),
            consent_version=record.get("consent_version"),
            consent_to=record.get("consent_to"),
            notify_status=record.get("notify_status"),
        )


def hire_delta(current: Status, target: Status) -> int:
    """How an event's (and the job's) hire count moves when an application goes from
    ``current`` to ``target``: +1 into ``HIRED``, -1 out of it, 0 otherwise (a refused move,
    to the status it already has, moves nothing). Raises nothing.

    The one statement of the rule the STATUS and STATUS_MANY scripts apply atomically with the
    change (``store/scripts.py``) and ``store/rebuild.py`` derives from the status stream
    (``hires``); ``tests/store/test_rule_tables.py`` runs one table through all three.
    """
    if current is target:
        return 0
    return int(target is Status.HIRED) - int(current is Status.HIRED)


def hires(statuses: Iterable[Status]) -> int:
    """How many of ``statuses`` (current statuses of applications) are ``HIRED``: the hire
    count that the moves' ``hire_delta`` add up to. Raises nothing."""
    return sum(1 for status in statuses if status is Status.HIRED)
