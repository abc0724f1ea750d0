"""Sheets in and out, the summary, the purge, hosts and the overlay token."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import CSV, ERR, SECURED, json_of, operation


def paths() -> dict[str, Any]:
    """Sheets in and out, the summary and the purge (``web/imports``, ``exports``, ``privacy``)."""
    sheet = {"type": "string", "format": "binary"}
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    flag = {"in": "query", "schema": {"type": "string", "enum": ["1", "true", "0"]}}
    upload: dict[str, Any] = {
        "required": True,
        "content": {
            "text/csv": {"schema": sheet},
            xlsx: {"schema": sheet},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": sheet, "mapping": {"type": "string"}},
                }
            },
        },
    }
    outcomes = operation(
        "Apply an employer's outcome sheet (staff); ?dry_run=1 changes nothing",
        {"200": json_of({"type": "object"}), "400": ERR, "413": ERR, "422": ERR},
        secured=True,
        params=[{"name": "dry_run", **flag}],
    )
    outcomes["requestBody"] = upload
    xlsx_response = {"description": "XLSX", "content": {xlsx: {"schema": sheet}}}
    paths: dict[str, Any] = {"/api/events/{event_id}/outcomes": {"post": outcomes}}
    for name, what in (
        ("applications", "One row per application"),
        ("hires", "One row per job"),
        ("pushes", "One row per card push"),
        ("workbook", "Every table, one sheet each"),
    ):
        for ext, response in (("csv", CSV), ("xlsx", xlsx_response)):
            if name == "workbook" and ext == "csv":
                continue
            path = f"/api/events/{{event_id}}/export/{name}.{ext}"
            paths.setdefault(
                path, {"get": operation(f"{what} (staff)", {"200": response}, secured=True)}
            )
    paths["/api/events/{event_id}/overlay-token"] = {
        "get": operation(
            "The overlay token, for the OBS overlay's link (host)",
            {"200": json_of({"type": "object", "required": ["overlay_token"]})},
            secured=True,
        )
    }
    # issue 16: several hosts, one per studio (web/hosts.py)
    paths["/api/events/{event_id}/hosts"] = {
        "post": operation(
            "Make a named host token for one studio (staff); the token is shown once",
            {
                "201": json_of({"type": "object", "required": ["name", "token", "console_url"]}),
                "400": ERR,
                "409": ERR,
                "413": ERR,
                "422": ERR,
            },
            body={
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}},
            },
            secured=True,
        ),
        "get": operation(
            "The event's hosts, by name; never a token (staff, host)",
            {"200": json_of({"type": "object", "required": ["hosts"]})},
            secured=True,
        ),
    }
    paths["/api/events/{event_id}/purge"] = {
        "post": operation(
            "Remove applicants' names and phones from an ended event (admin)",
            {"200": json_of({"type": "object"}), "409": ERR},
            secured=True,
        )
    }
    paths["/api/summary"] = {
        "get": {
            "summary": "Every event's numbers and per employer totals (admin)",
            "security": SECURED,
            "responses": {"200": json_of({"type": "object"}), "401": ERR, "403": ERR},
        }
    }
    return paths
