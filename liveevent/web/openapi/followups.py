"""Follow-up after hire and the status notices' switch (issue 17 part 4: ``web/followups``,
``web/status_notices``)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import ERR, json_of, operation


def paths() -> dict[str, Any]:
    """The staff and employer follow-up calls, and ``/status-notices``."""
    app_id = {
        "name": "application_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    due = [{"name": "due", "in": "query", "required": False, "schema": {"type": "string"}}]
    mark = {
        "type": "object",
        "required": ["checkpoint", "result"],
        "additionalProperties": False,
        "properties": {
            "checkpoint": {"type": "string", "enum": ["7d", "30d"]},
            "result": {"type": "string", "enum": ["retained", "left", "unknown"]},
        },
    }
    obj = {"type": "object"}
    put = {"200": json_of(obj), "400": ERR, "409": ERR, "413": ERR, "422": ERR}
    out: dict[str, Any] = {}
    for prefix, who in (("", "staff"), ("/employer", "employer: its own hires")):
        out[f"/api/events/{{event_id}}{prefix}/followups"] = {
            "get": operation(
                f"Hires with their 7- and 30-day checks, and the retention ({who})",
                {"200": json_of(obj)},
                secured=True,
                params=due,
            )
        }
        out[f"/api/events/{{event_id}}{prefix}/followups/{{application_id}}"] = {
            "put": operation(
                f"Record or correct a follow-up mark on a hire ({who})",
                put,
                body=mark,
                secured=True,
                params=[app_id],
            )
        }
    switch = {"type": "object", "required": ["enabled", "statuses", "consent"]}
    out["/api/events/{event_id}/status-notices"] = {
        "get": operation(
            "Whether applicants are told of interviews and hires", {"200": json_of(switch)}
        ),
        "put": operation(
            "Turn the status notices on or off (staff)",
            {"200": json_of(switch), "400": ERR, "413": ERR, "422": ERR},
            body={
                "type": "object",
                "required": ["enabled"],
                "additionalProperties": False,
                "properties": {"enabled": {"type": "boolean"}},
            },
            secured=True,
        ),
    }
    return out
