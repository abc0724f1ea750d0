"""Venues, check-in and stations (issue 16 part 4)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import ERR, json_of, operation


def paths(apply_in: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any]:
    """Venues, check-in and stations (``web/venues``; docs/api.md "Venues"). ``apply_in`` and
    ``applied`` are the public apply's body and answer: a station's body is the same, with the
    person's own ``consent`` required and no attribution of its own (the token gives it)."""
    venue_id = {"name": "venue_id", "in": "path", "required": True, "schema": {"type": "string"}}
    obj = {"type": "object"}
    venue_in = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 50},
            "kind": {"type": "string", "enum": ["hall", "station"]},
            "city": {"type": ["string", "null"], "maxLength": 20},
            "address": {"type": ["string", "null"], "maxLength": 200},
        },
    }
    station_link = {"type": "object", "required": ["token", "url", "name"]}
    checkin_in = {
        "type": "object",
        "required": ["name", "phone", "consent"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 50},
            "phone": {"type": "string", "description": "a mobile number (docs/exports.md)"},
            "consent": {"type": "boolean", "const": True},
        },
    }
    own = {k: v for k, v in apply_in["properties"].items() if k not in ("source", "card_id")}
    station_in = {
        **apply_in,
        "required": ["job_id", "name", "phone", "consent"],
        "properties": {**own, "consent": {"type": "boolean", "const": True}},
    }
    checked = {
        "type": "object",
        "required": ["checkin_id", "duplicate"],
        "properties": {"checkin_id": {"type": "string"}, "duplicate": {"type": "boolean"}},
    }
    written = dict.fromkeys(("400", "413", "415", "422"), ERR)
    return {
        "/api/events/{event_id}/venues": {
            "post": operation(
                "Make a venue: its check-in link and a station token, shown once (staff)",
                {"201": json_of({"type": "object", "required": ["venue", "station"]}), **written},
                body=venue_in,
                secured=True,
            ),
            "get": operation(
                "The venues with their check-in counts and links (staff, host)",
                {"200": json_of({"type": "object", "required": ["venues", "checked_in"]})},
                secured=True,
            ),
        },
        "/api/events/{event_id}/venues/{venue_id}": {
            "get": operation("A venue (anyone: check-in)", {"200": json_of(obj)}, params=[venue_id])
        },
        "/api/events/{event_id}/venues/{venue_id}/stations": {
            "post": operation(
                "Another station token for the venue, shown once (staff)",
                {"201": json_of(station_link)},
                secured=True,
                params=[venue_id],
            ),
            "delete": operation(
                "Revoke every station token of the venue (staff)",
                {"200": json_of({"type": "object", "required": ["revoked"]})},
                secured=True,
                params=[venue_id],
            ),
        },
        "/api/events/{event_id}/venues/{venue_id}/checkins": {
            "post": operation(
                "Check in at the venue (anyone, with consent)",
                {
                    "201": json_of(checked, "Checked in"),
                    "200": json_of(checked, "Already checked in here"),
                    **written,
                    "409": ERR,
                    "429": ERR,
                    "503": ERR,
                },
                body=checkin_in,
                params=[venue_id],
            )
        },
        "/api/events/{event_id}/station": {
            "get": operation(
                "The station token's own venue (station)", {"200": json_of(obj)}, secured=True
            )
        },
        "/api/events/{event_id}/venues/{venue_id}/applications": {
            "post": operation(
                "Apply for a person at the venue, credited to it (station of that venue)",
                {
                    "201": json_of(applied, "Stored"),
                    "200": json_of(applied, "Already applied"),
                    **written,
                    "409": ERR,
                    "429": ERR,
                    "503": ERR,
                },
                body=station_in,
                secured=True,
                params=[venue_id],
            )
        },
    }
