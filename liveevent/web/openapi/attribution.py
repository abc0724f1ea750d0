"""Cities and channels (issue 16 parts 1 and 5)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import CITIES, ERR, json_of, operation


def paths() -> dict[str, Any]:
    """Cities and channels (``web/attribution``; docs/api.md, "Cities and channels")."""
    channel = {
        "type": "object",
        "required": ["id", "name", "created_at", "link", "qr"],
        "properties": {k: {"type": "string"} for k in ("id", "name", "created_at", "link", "qr")},
    }
    name = {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 30}},
    }
    cities = {
        "type": "object",
        "required": ["cities"],
        "additionalProperties": False,
        "properties": {"cities": CITIES},
    }
    return {
        "/api/events/{event_id}/cities": {
            "put": operation(
                "Replace the event's cities (staff)",
                {"200": json_of(cities), "400": ERR, "413": ERR, "422": ERR},
                body=cities,
                secured=True,
            )
        },
        "/api/events/{event_id}/channels": {
            "post": operation(
                "Add a channel, or get the one of that name (staff)",
                {
                    "201": json_of(channel),
                    "200": json_of(channel),
                    **dict.fromkeys(("400", "409", "413", "422"), ERR),
                },
                body=name,
                secured=True,
            ),
            "get": operation(
                "The event's channels (staff, host)",
                {
                    "200": json_of(
                        {
                            "type": "object",
                            "properties": {"channels": {"type": "array", "items": channel}},
                        }
                    )
                },
                secured=True,
            ),
        },
    }
