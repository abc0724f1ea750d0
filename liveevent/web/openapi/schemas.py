"""The shapes several areas share: a job, a card, an event, the live figures, an apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liveevent.web.openapi.core import CITY, IDENT, ref


@dataclass(frozen=True, slots=True)
class Shapes:
    """The shared schemas, each a fresh JSON-ready dict. Raises nothing."""

    job_in: dict[str, Any]
    job: dict[str, Any]
    card: dict[str, Any]
    event: dict[str, Any]
    stats: dict[str, Any]
    apply_in: dict[str, Any]
    applied: dict[str, Any]


def shapes() -> Shapes:
    """Build the shared schemas. Raises nothing."""
    job_in = {
        "type": "object",
        "required": ["employer", "title"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "employer": {"type": "string", "minLength": 1, "maxLength": 100},
            "title": {"type": "string", "minLength": 1, "maxLength": 100},
            "openings": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 1000000,
                "description": "headcount, or the low end of a range; null: no low end",
            },
            "openings_max": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 1000000,
                "description": (
                    "the top end (not below openings); null: no top end. Left out: the same"
                    " as openings (an exact count). Both null: unknown (若干)"
                ),
            },
            "salary": {"type": ["string", "null"], "maxLength": 100},
            "location": {"type": ["string", "null"], "maxLength": 100},
            "description": {"type": ["string", "null"], "maxLength": 4000},
            "city": {"type": ["string", "null"], "maxLength": 20, "description": CITY},
        },
    }
    job = {**job_in, "required": ["id", "employer", "title"], "additionalProperties": True}
    card = {
        "type": "object",
        "required": ["card_id", "job", "pushed_at"],
        "properties": {
            "card_id": {"type": "string"},
            "job": ref("Job"),
            "pushed_at": {"type": "string", "format": "date-time"},
            "pushed_by": {"type": ["string", "null"], "description": "the host's name"},
        },
    }
    event = {
        "type": "object",
        "required": ["id", "title", "state"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "state": {"type": "string", "enum": ["scheduled", "live", "ended"]},
            "starts_at": {"type": ["string", "null"]},
            "stream_url": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
            "current_card": {"oneOf": [ref("Card"), {"type": "null"}]},
            "cities": {"type": "array", "items": {"type": "string"}},
        },
    }
    stats_job = {
        "type": "object",
        "required": ["job_id", "employer", "title", "applications", "hires"],
        "properties": {k: {"type": "integer"} for k in ("applications", "hires")}
        | {k: {"type": "string"} for k in ("job_id", "employer", "title")}
        | {k: {"type": ["integer", "null"]} for k in ("openings", "openings_max")},
    }
    stats = {
        "type": "object",
        "required": [
            "viewers_online",
            "cards_pushed",
            "applications",
            "applicants",
            "hires",
            "jobs",
        ],
        "properties": {
            k: {"type": "integer"}
            for k in ("viewers_online", "cards_pushed", "applications", "applicants", "hires")
        }
        | {"jobs": {"type": "array", "items": stats_job}}
        | {"unique_viewers": {"type": "integer"}}
        | {
            f"by_{d}": {"type": "array", "items": {"type": "object"}}
            for d in ("city", "channel", "channel_city", "venue", "source")
        },
    }
    apply_in = {
        "type": "object",
        "required": ["job_id", "name", "phone"],
        "additionalProperties": False,
        "properties": {
            "job_id": {"type": "string"},
            "name": {"type": "string", "minLength": 1, "maxLength": 50},
            "phone": {"type": "string", "description": "a mobile number (docs/exports.md)"},
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 128},
            "consent": {"type": "boolean"},
            # What the consent said (docs/privacy.md): its version and the employer it named.
            "consent_version": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "consent_to": {"type": "string", "maxLength": 100},
            # Tell me of status changes (interview, hire): issue 17 part 4, docs/api.md.
            "notify_status": {"type": "boolean"},
            "city": {"type": "string", "maxLength": 20, "description": "one of the event's"},
            "channel": {"type": "string", "description": "one of the event's channel ids"},
            # A viewer says live or replay; only a station's token makes a station application
            # (``venue`` is refused here: 422 naming it, like an unknown field).
            "source": {"type": "string", "enum": ["live", "replay"]},
            "card_id": {
                "type": "string",
                "pattern": IDENT,
                "description": "the replay's card on screen; only with source replay",
            },
        },
    }
    applied = {
        "type": "object",
        "required": ["application_id", "duplicate", "waitlist"],
        "properties": {
            "application_id": {"type": "string"},
            "duplicate": {"type": "boolean"},
            "waitlist": {
                "type": ["boolean", "null"],
                "description": "the job had no place left (domain/openings.py): a waiting list "
                "application; null when its count could not be read",
            },
        },
    }
    return Shapes(job_in, job, card, event, stats, apply_in, applied)
