"""Sign-ups, the funnel and the reminders' delivery (issue 17)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import ERR, json_of, operation


def paths() -> dict[str, Any]:
    """Sign-ups, the funnel and the reminders' delivery (``web/signups``; issue 17)."""
    signup = {
        "type": "object",
        "required": ["name", "phone", "consent"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 50},
            "phone": {"type": "string"},
            "city": {"type": ["string", "null"], "maxLength": 20},
            "consent": {"type": "boolean", "const": True},
            "idempotency_key": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
        },
    }
    token = {"name": "signup_id", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "/api/events/{event_id}/signups": {
            "post": operation(
                "Sign up to be reminded, before go-live (public); a phone signs up once",
                {
                    "201": json_of({"type": "object"}, "Signed up"),
                    "200": json_of({"type": "object"}, "Already signed up (duplicate)"),
                    "400": ERR,
                    "409": ERR,
                    "413": ERR,
                    "415": ERR,
                    "422": ERR,
                    "429": ERR,
                },
                body=signup,
            )
        },
        "/api/events/{event_id}/signups/{signup_id}/watched": {
            "post": operation(
                "The sign-up's page is watching the live event (public: the watch token)",
                {"200": json_of({"type": "object"}), "409": ERR},
                params=[token],
            )
        },
        "/api/events/{event_id}/funnel": {
            "get": operation(
                "Signed up, watched, applied, hired, show-up rate (staff)",
                {"200": json_of({"type": "object"})},
                secured=True,
            )
        },
        "/api/events/{event_id}/notifications": {
            "get": operation(
                "The event's notices by state, and the dead ones (staff)",
                {"200": json_of({"type": "object"})},
                secured=True,
            )
        },
    }
