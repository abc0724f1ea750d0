"""Employers at the table (issue 16 part 2)."""

from __future__ import annotations

from typing import Any

from liveevent.domain.employers import EMPLOYER_STATUSES
from liveevent.web.openapi.core import ERR, json_of, operation


def paths() -> dict[str, Any]:
    """Employers at the table (``web/employers``; docs/api.md "Employers at the table")."""
    app_id = {
        "name": "application_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    query = [
        {"name": n, "in": "query", "required": False, "schema": {"type": t}}
        for n, t in (("job_id", "string"), ("offset", "integer"), ("limit", "integer"))
    ]
    obj = {"type": "object"}
    return {
        "/api/events/{event_id}/employers": {
            "post": operation(
                "Give an employer its own token and page link (staff)",
                {"201": json_of(obj, "Made; the token is shown this once"), "400": ERR, "422": ERR},
                body={
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "contact": {"type": "string", "minLength": 1, "maxLength": 100},
                    },
                },
                secured=True,
            ),
            "get": operation(
                "Every employer's progress (staff)", {"200": json_of(obj)}, secured=True
            ),
        },
        "/api/events/{event_id}/employers/{employer}/tokens": {
            "delete": operation(
                "Revoke every token of an employer (staff); its name percent-encoded",
                {
                    "200": json_of({"type": "object", "required": ["employer", "revoked"]}),
                    "422": ERR,
                },
                secured=True,
                params=[
                    {
                        "name": "employer",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/events/{event_id}/recipients": {
            "get": operation(
                "Each employer's contact, for the apply consent", {"200": json_of(obj)}
            )
        },
        "/api/events/{event_id}/employer": {
            "get": operation(
                "The employer's own jobs (employer)", {"200": json_of(obj)}, secured=True
            )
        },
        "/api/events/{event_id}/employer/applications": {
            "get": operation(
                "The employer's own applicants, newest first (employer)",
                {"200": json_of(obj), "422": ERR},
                secured=True,
                params=query,
            )
        },
        "/api/events/{event_id}/employer/applications/{application_id}": {
            "patch": operation(
                "Record an intent or an outcome on its own applicant (employer)",
                {"200": json_of(obj), "400": ERR, "409": ERR, "422": ERR},
                body={
                    "type": "object",
                    "required": ["status"],
                    "additionalProperties": False,
                    "properties": {
                        "status": {"type": "string", "enum": [s.value for s in EMPLOYER_STATUSES]}
                    },
                },
                secured=True,
                params=[app_id],
            )
        },
    }
