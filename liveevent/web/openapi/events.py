"""The event itself: health, create, read, jobs, state and cards (``web/api``)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import CITIES, ERR, SECURED, json_of, operation, ref
from liveevent.web.openapi.schemas import Shapes


def paths(s: Shapes) -> dict[str, Any]:
    """Health, events, jobs, state, cards. Raises nothing."""
    job_in, event = s.job_in, s.event
    return {
        "/healthz": {
            "get": {
                "summary": "Health of the app and its store",
                "responses": {
                    "200": json_of({"type": "object"}),
                    "503": json_of({"type": "object"}, "Unhealthy"),
                },
            }
        },
        "/api/events": {
            "post": {
                "summary": "Create an event (admin)",
                "security": SECURED,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["title"],
                                "additionalProperties": False,
                                "properties": {
                                    "title": {"type": "string", "minLength": 1, "maxLength": 200},
                                    # null is taken as "not given" (values.timestamp, .url)
                                    "starts_at": {
                                        "type": ["string", "null"],
                                        "format": "date-time",
                                    },
                                    "stream_url": {"type": ["string", "null"], "format": "uri"},
                                    "cities": CITIES,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": json_of(
                        {
                            **event,
                            "required": ["id", "title", "state", "host_token", "staff_token"],
                        },
                        "Created",
                    ),
                    "400": ERR,
                    "401": ERR,
                    "403": ERR,
                    "413": ERR,
                    "422": ERR,
                },
            }
        },
        "/api/events/{event_id}": {
            "get": operation("An event (no tokens)", {"200": json_of(event)})
        },
        "/api/events/{event_id}/jobs": {
            "get": operation(
                "The event's jobs",
                {
                    "200": json_of(
                        {
                            "type": "object",
                            "properties": {"jobs": {"type": "array", "items": ref("Job")}},
                        }
                    )
                },
            ),
            "post": operation(
                "Add or update jobs (upsert by id)",
                {
                    "200": json_of({"type": "object"}),
                    "201": json_of({"type": "object"}, "Created"),
                    "400": ERR,
                    "413": ERR,
                    "422": ERR,
                },
                body={"type": "array", "minItems": 1, "items": job_in},
                secured=True,
            ),
        },
        "/api/events/{event_id}/state": {
            "post": operation(
                "Go live or end (host)",
                {"200": json_of({"type": "object"}), "409": ERR, "400": ERR, "422": ERR},
                body={
                    "type": "object",
                    "required": ["state"],
                    "additionalProperties": False,
                    "properties": {"state": {"type": "string", "enum": ["live", "ended"]}},
                },
                secured=True,
            )
        },
        "/api/events/{event_id}/cards": {
            "post": operation(
                "Push a job card (host)",
                {
                    "201": json_of(
                        {"type": "object", "required": ["card_id", "job_id", "pushed_at"]}, "Pushed"
                    ),
                    "409": ERR,
                    "400": ERR,
                    "422": ERR,
                },
                body={
                    "type": "object",
                    "required": ["job_id"],
                    "additionalProperties": False,
                    "properties": {"job_id": {"type": "string"}},
                },
                secured=True,
            ),
            "get": operation("Every card pushed so far", {"200": json_of({"type": "object"})}),
        },
        "/api/events/{event_id}/cards/current": {
            "delete": operation(
                "Withdraw the card on screen (host)",
                {"204": {"description": "Withdrawn"}, "409": ERR},
                secured=True,
            )
        },
    }
