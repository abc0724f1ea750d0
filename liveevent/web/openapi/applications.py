"""Applications, their status, the live figures and the CSV exports (``web/api``)."""

from __future__ import annotations

from typing import Any

from liveevent.domain.applications import Status
from liveevent.web.openapi.core import CSV, ERR, json_of, operation
from liveevent.web.openapi.schemas import Shapes


def paths(s: Shapes) -> dict[str, Any]:
    """Apply, list, change status, stats, CSV exports. Raises nothing."""
    apply_in, applied, stats = s.apply_in, s.applied, s.stats
    return {
        "/api/events/{event_id}/applications": {
            "post": operation(
                "Apply (anyone)",
                {
                    "201": json_of(applied, "Stored"),
                    "200": json_of(applied, "Already applied"),
                    "400": ERR,
                    "409": ERR,
                    "413": ERR,
                    "415": ERR,
                    "422": ERR,
                    "429": ERR,
                    "503": ERR,
                },
                body=apply_in,
            ),
            "get": operation(
                "Applications, filtered and paged (staff; host sees masked phones)",
                {"200": json_of({"type": "object"}), "422": ERR},
                secured=True,
                params=[
                    {"name": n, "in": "query", "required": False, "schema": {"type": t}}
                    for n, t in (
                        ("job_id", "string"),
                        ("status", "string"),
                        ("phone", "string"),
                        ("offset", "integer"),
                        ("limit", "integer"),
                    )
                ],
            ),
            "patch": operation(
                "Change many applications' status (staff)",
                {"200": json_of({"type": "object"}), "400": ERR, "422": ERR},
                body={"type": "object", "required": ["application_ids", "status"]},
                secured=True,
            ),
        },
        "/api/events/{event_id}/applications/{application_id}": {
            "patch": operation(
                "Change an application's status (staff)",
                {"200": json_of({"type": "object"}), "400": ERR, "409": ERR, "422": ERR},
                body={
                    "type": "object",
                    "required": ["status"],
                    "additionalProperties": False,
                    "properties": {"status": {"type": "string", "enum": [s.value for s in Status]}},
                },
                secured=True,
                params=[
                    {
                        "name": "application_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/events/{event_id}/stats": {
            "get": operation("Live numbers (host, staff)", {"200": json_of(stats)}, secured=True)
        },
        "/api/events/{event_id}/export/applications.csv": {
            "get": operation("One row per application (staff)", {"200": CSV}, secured=True)
        },
        "/api/events/{event_id}/export/hires.csv": {
            "get": operation("One row per job (staff)", {"200": CSV}, secured=True)
        },
    }
