"""The OpenAPI 3 description of the HTTP API, served at ``/api/openapi.json``.

Written by hand beside the handlers, one module per area: ``core`` (references, responses,
an event's operation), ``schemas`` (shapes several areas share), ``events``, ``applications``,
``office``, ``questions``, ``replay``, ``signups``, ``employers``, ``attribution``,
``venues``, ``reports``. A route added to the app must be added to its area here too.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent import __version__
from liveevent.web.openapi import (
    applications,
    attribution,
    employers,
    events,
    followups,
    office,
    questions,
    replay,
    reports,
    signups,
    venues,
)
from liveevent.web.openapi.core import json_of, ref
from liveevent.web.openapi.schemas import shapes

routes = web.RouteTableDef()


def document() -> dict[str, Any]:
    """The API's description as an OpenAPI 3.1.0 document (a fresh JSON-ready dict).

    Raises nothing.
    """
    s = shapes()
    job, card = s.job, s.card
    paths: dict[str, Any] = {
        **events.paths(s),
        **applications.paths(s),
        **office.paths(),
        **questions.paths(),
        **replay.paths(),
        **signups.paths(),
        **employers.paths(),
        **attribution.paths(),
        **venues.paths(s.apply_in, s.applied),
        **reports.paths(),
        **followups.paths(),
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": json_of({"type": "object"})}}
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "liveevent",
            "version": __version__,
            "description": "Live-stream recruitment events. Viewer websocket: "
            "GET /ws/events/{event_id}[?since=cursor]; see docs/api.md.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Job": job,
                "Card": card,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {"type": "object"},
                            },
                        }
                    },
                },
            },
            "responses": {"Error": json_of(ref("Error"), "Error")},
        },
    }


@routes.get("/api/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    """``GET /api/openapi.json`` (public): ``document()`` as JSON. Raises nothing."""
    return web.json_response(document())
