"""The fair report and the report across fairs (issue 16 part 6: ``web/reports``)."""

from __future__ import annotations

from typing import Any

from liveevent.domain.fair_report import MAX_RANGE_DAYS
from liveevent.tables.xlsx_out import XLSX_CONTENT_TYPE
from liveevent.web.openapi.core import ERR, SECURED, json_of, operation

_DAY = {"type": "string", "format": "date", "description": "a day YYYY-MM-DD (time_zone)"}
_XLSX = {"schema": {"type": "string", "format": "binary"}}


def paths() -> dict[str, Any]:
    """``/api/events/{id}/report``, its workbook, and ``/api/report`` (admin). Raises
    nothing."""
    report = {
        "type": "object",
        "description": "FairReport.to_wire: the overview, by employer, job, city, channel, venue",
    }
    fairs = {
        "type": "object",
        "required": ["from", "to", "time_zone", "fairs", "total"],
        "properties": {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "time_zone": {"type": "string"},
            "fairs": {"type": "array", "items": {"type": "object"}},
            "total": {"type": "object", "required": ["fairs"]},
        },
    }
    query = [
        {"name": "from", "in": "query", "required": True, "schema": _DAY},
        {
            "name": "to",
            "in": "query",
            "required": False,
            "schema": {
                **_DAY,
                "description": f"the last day (default: from), within {MAX_RANGE_DAYS} days",
            },
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]},
        },
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["zh-CN", "en"]},
            "description": "the CSV's header language",
        },
    ]
    return {
        "/api/events/{event_id}/report": {
            "get": operation(
                "The fair's report as JSON (staff)", {"200": json_of(report)}, secured=True
            )
        },
        "/api/events/{event_id}/export/report.xlsx": {
            "get": operation(
                "The fair's report workbook (staff)",
                {"200": {"description": "XLSX", "content": {XLSX_CONTENT_TYPE: _XLSX}}},
                secured=True,
            )
        },
        "/api/report": {
            "get": {
                "summary": "Every fair starting in a range of days, and their total (admin)",
                "security": SECURED,
                "parameters": query,
                "responses": {
                    "200": {
                        "description": "The report as JSON, CSV (UTF-8 with BOM) or XLSX",
                        "content": {
                            "application/json": {"schema": fairs},
                            "text/csv": {"schema": {"type": "string"}},
                            XLSX_CONTENT_TYPE: _XLSX,
                        },
                    },
                    "401": ERR,
                    "403": ERR,
                    "422": ERR,
                },
            }
        },
    }
