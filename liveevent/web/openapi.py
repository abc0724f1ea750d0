"""The OpenAPI 3 description of the HTTP API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent import __version__
from liveevent.domain.applications import Status
from liveevent.domain.employers import EMPLOYER_STATUSES

routes = web.RouteTableDef()


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERR = {"$ref": "#/components/responses/Error"}
_CSV = {
    "description": "CSV (UTF-8 with BOM)",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
_CITY = "the event's city name (a sheet's place column is mapped onto it)"
_CITIES = {
    "type": "array",
    "maxItems": 20,
    "items": {"type": "string", "minLength": 1, "maxLength": 20},
    "description": "the event's cities (issue 16), each once",
}
_IDENT = "^[A-Za-z0-9_-]{1,64}$"
_EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}]


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    secured: bool = False,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    op["parameters"] = [_EVENT_ID, *(params or [])]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if secured:
        op["security"] = _SECURED
        responses.setdefault("401", _ERR)
        responses.setdefault("403", _ERR)
    responses.setdefault("404", _ERR)
    return op


def document() -> dict[str, Any]:
    """The API's description as an OpenAPI 3.1.0 document (a fresh JSON-ready dict).

    Written by hand beside the handlers: a route added to ``api`` must be added here too.
    Raises nothing.
    """
    job_in = {
        "type": "object",
        "required": ["employer", "title"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "employer": {"type": "string", "minLength": 1, "maxLength": 100},
            "title": {"type": "string", "minLength": 1, "maxLength": 100},
            "openings": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 1000000,
                "description": "headcount, or the low end of a range; null: no low end",
            },
            "openings_max": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": 1000000,
                "description": (
                    "the top end (not below openings); null: no top end. Left out: the same"
                    " as openings (an exact count). Both null: unknown (若干)"
                ),
            },
            "salary": {"type": ["string", "null"], "maxLength": 100},
            "location": {"type": ["string", "null"], "maxLength": 100},
            "description": {"type": ["string", "null"], "maxLength": 4000},
            "city": {"type": ["string", "null"], "maxLength": 20, "description": _CITY},
        },
    }
    job = {**job_in, "required": ["id", "employer", "title"], "additionalProperties": True}
    card = {
        "type": "object",
        "required": ["card_id", "job", "pushed_at"],
        "properties": {
            "card_id": {"type": "string"},
            "job": _ref("Job"),
            "pushed_at": {"type": "string", "format": "date-time"},
            "pushed_by": {"type": ["string", "null"], "description": "the host's name"},
        },
    }
    event = {
        "type": "object",
        "required": ["id", "title", "state"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "state": {"type": "string", "enum": ["scheduled", "live", "ended"]},
            "starts_at": {"type": ["string", "null"]},
            "stream_url": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
            "current_card": {"oneOf": [_ref("Card"), {"type": "null"}]},
            "cities": {"type": "array", "items": {"type": "string"}},
        },
    }
    stats_job = {
        "type": "object",
        "required": ["job_id", "employer", "title", "applications", "hires"],
        "properties": {k: {"type": "integer"} for k in ("applications", "hires")}
        | {k: {"type": "string"} for k in ("job_id", "employer", "title")}
        | {k: {"type": ["integer", "null"]} for k in ("openings", "openings_max")},
    }
    stats = {
        "type": "object",
        "required": [
            "viewers_online",
            "cards_pushed",
            "applications",
            "applicants",
            "hires",
            "jobs",
        ],
        "properties": {
            k: {"type": "integer"}
            for k in ("viewers_online", "cards_pushed", "applications", "applicants", "hires")
        }
        | {"jobs": {"type": "array", "items": stats_job}}
        | {"unique_viewers": {"type": "integer"}}
        | {
            f"by_{d}": {"type": "array", "items": {"type": "object"}}
            for d in ("city", "channel", "channel_city", "venue", "source")
        },
    }
    apply_in = {
        "type": "object",
        "required": ["job_id", "name", "phone"],
        "additionalProperties": False,
        "properties": {
            "job_id": {"type": "string"},
            "name": {"type": "string", "minLength": 1, "maxLength": 50},
            "phone": {"type": "string", "description": "a mobile number (docs/exports.md)"},
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 128},
            "consent": {"type": "boolean"},
            # What the consent said (docs/privacy.md): its version and the employer it named.
            "consent_version": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "consent_to": {"type": "string", "maxLength": 100},
            # Tell me of status changes (interview, hire): issue 17 part 4, docs/api.md.
            "notify_status": {"type": "boolean"},
            "city": {"type": "string", "maxLength": 20, "description": "one of the event's"},
            "channel": {"type": "string", "description": "one of the event's channel ids"},
            # A viewer says live or replay; only a station's token makes a station application
            # (``venue`` is refused here: 422 naming it, like an unknown field).
            "source": {"type": "string", "enum": ["live", "replay"]},
            "card_id": {
                "type": "string",
                "pattern": _IDENT,
                "description": "the replay's card on screen; only with source replay",
            },
        },
    }
    applied = {
        "type": "object",
        "required": ["application_id", "duplicate", "waitlist"],
        "properties": {
            "application_id": {"type": "string"},
            "duplicate": {"type": "boolean"},
            "waitlist": {
                "type": ["boolean", "null"],
                "description": "the job had no place left (domain/openings.py): a waiting list "
                "application; null when its count could not be read",
            },
        },
    }
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "summary": "Health of the app and its store",
                "responses": {
                    "200": _json({"type": "object"}),
                    "503": _json({"type": "object"}, "Unhealthy"),
                },
            }
        },
        "/api/events": {
            "post": {
                "summary": "Create an event (admin)",
                "security": _SECURED,
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
                                    "cities": _CITIES,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            **event,
                            "required": ["id", "title", "state", "host_token", "staff_token"],
                        },
                        "Created",
                    ),
                    "400": _ERR,
                    "401": _ERR,
                    "403": _ERR,
                    "413": _ERR,
                    "422": _ERR,
                },
            }
        },
        "/api/events/{event_id}": {"get": _op("An event (no tokens)", {"200": _json(event)})},
        "/api/events/{event_id}/jobs": {
            "get": _op(
                "The event's jobs",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"jobs": {"type": "array", "items": _ref("Job")}},
                        }
                    )
                },
            ),
            "post": _op(
                "Add or update jobs (upsert by id)",
                {
                    "200": _json({"type": "object"}),
                    "201": _json({"type": "object"}, "Created"),
                    "400": _ERR,
                    "413": _ERR,
                    "422": _ERR,
                },
                body={"type": "array", "minItems": 1, "items": job_in},
                secured=True,
            ),
        },
        "/api/events/{event_id}/state": {
            "post": _op(
                "Go live or end (host)",
                {"200": _json({"type": "object"}), "409": _ERR, "400": _ERR, "422": _ERR},
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
            "post": _op(
                "Push a job card (host)",
                {
                    "201": _json(
                        {"type": "object", "required": ["card_id", "job_id", "pushed_at"]}, "Pushed"
                    ),
                    "409": _ERR,
                    "400": _ERR,
                    "422": _ERR,
                },
                body={
                    "type": "object",
                    "required": ["job_id"],
                    "additionalProperties": False,
                    "properties": {"job_id": {"type": "string"}},
                },
                secured=True,
            ),
            "get": _op("Every card pushed so far", {"200": _json({"type": "object"})}),
        },
        "/api/events/{event_id}/cards/current": {
            "delete": _op(
                "Withdraw the card on screen (host)",
                {"204": {"description": "Withdrawn"}, "409": _ERR},
                secured=True,
            )
        },
        "/api/events/{event_id}/applications": {
            "post": _op(
                "Apply (anyone)",
                {
                    "201": _json(applied, "Stored"),
                    "200": _json(applied, "Already applied"),
                    "400": _ERR,
                    "409": _ERR,
                    "413": _ERR,
                    "415": _ERR,
                    "422": _ERR,
                    "429": _ERR,
                    "503": _ERR,
                },
                body=apply_in,
            ),
            "get": _op(
                "Applications, filtered and paged (staff; host sees masked phones)",
                {"200": _json({"type": "object"}), "422": _ERR},
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
            "patch": _op(
                "Change many applications' status (staff)",
                {"200": _json({"type": "object"}), "400": _ERR, "422": _ERR},
                body={"type": "object", "required": ["application_ids", "status"]},
                secured=True,
            ),
        },
        "/api/events/{event_id}/applications/{application_id}": {
            "patch": _op(
                "Change an application's status (staff)",
                {"200": _json({"type": "object"}), "400": _ERR, "409": _ERR, "422": _ERR},
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
            "get": _op("Live numbers (host, staff)", {"200": _json(stats)}, secured=True)
        },
        "/api/events/{event_id}/export/applications.csv": {
            "get": _op("One row per application (staff)", {"200": _CSV}, secured=True)
        },
        "/api/events/{event_id}/export/hires.csv": {
            "get": _op("One row per job (staff)", {"200": _CSV}, secured=True)
        },
        **_office_paths(),
        **_question_paths(),
        **_replay_paths(),
        **_signup_paths(),
        **_employer_paths(),
        **_attribution_paths(),
        **_followup_paths(),
        **_venue_paths(apply_in, applied),
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": _json({"type": "object"})}}
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
            "responses": {"Error": _json(_ref("Error"), "Error")},
        },
    }


@routes.get("/api/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    """``GET /api/openapi.json`` (public): ``document()`` as JSON. Raises nothing."""
    return web.json_response(document())


def _question_paths() -> dict[str, Any]:
    """Questions on the card (``web/questions.py``; docs/api.md, issue 17 part 2)."""
    ask = {
        "type": "object",
        "required": ["card_id", "text"],
        "properties": {
            "card_id": {"type": "string"},
            "text": {"type": "string", "maxLength": 200},
            "name": {"type": "string", "maxLength": 20},
            "idempotency_key": {"type": "string"},
        },
    }
    move = {
        "type": "object",
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": ["approve", "hide", "answer"]},
            "answer": {"type": "string", "maxLength": 500},
        },
    }
    query = [
        {"name": name, "in": "query", "schema": {"type": "string"}}
        for name in ("status", "card_id", "shown")
    ]
    question_id = {
        "name": "question_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        "/api/events/{event_id}/questions": {
            "post": _op(
                "Ask about the card on screen (anyone, JSON only)",
                {
                    "201": _json({"type": "object"}, "Asked"),
                    **{code: _ERR for code in ("400", "409", "413", "415", "422", "429", "503")},
                },
                body=ask,
            ),
            "get": _op(
                "The questions (host, staff; an employer: its own jobs')",
                {"200": _json({"type": "object"}), "422": _ERR, "503": _ERR},
                secured=True,
                params=query,
            ),
        },
        "/api/events/{event_id}/questions/{question_id}": {
            "post": _op(
                "Approve, hide or answer a question (host, staff; employer: answer its own)",
                {
                    "200": _json({"type": "object"}),
                    **{code: _ERR for code in ("400", "409", "413", "422", "503")},
                },
                body=move,
                secured=True,
                params=[question_id],
            ),
        },
    }


def _office_paths() -> dict[str, Any]:
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
    outcomes = _op(
        "Apply an employer's outcome sheet (staff); ?dry_run=1 changes nothing",
        {"200": _json({"type": "object"}), "400": _ERR, "413": _ERR, "422": _ERR},
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
        for ext, response in (("csv", _CSV), ("xlsx", xlsx_response)):
            if name == "workbook" and ext == "csv":
                continue
            path = f"/api/events/{{event_id}}/export/{name}.{ext}"
            paths.setdefault(path, {"get": _op(f"{what} (staff)", {"200": response}, secured=True)})
    paths["/api/events/{event_id}/overlay-token"] = {
        "get": _op(
            "The overlay token, for the OBS overlay's link (host)",
            {"200": _json({"type": "object", "required": ["overlay_token"]})},
            secured=True,
        )
    }
    # issue 16: several hosts, one per studio (web/hosts.py)
    paths["/api/events/{event_id}/hosts"] = {
        "post": _op(
            "Make a named host token for one studio (staff); the token is shown once",
            {
                "201": _json({"type": "object", "required": ["name", "token", "console_url"]}),
                "400": _ERR,
                "409": _ERR,
                "413": _ERR,
                "422": _ERR,
            },
            body={
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}},
            },
            secured=True,
        ),
        "get": _op(
            "The event's hosts, by name; never a token (staff, host)",
            {"200": _json({"type": "object", "required": ["hosts"]})},
            secured=True,
        ),
    }
    paths["/api/events/{event_id}/purge"] = {
        "post": _op(
            "Remove applicants' names and phones from an ended event (admin)",
            {"200": _json({"type": "object"}), "409": _ERR},
            secured=True,
        )
    }
    paths["/api/summary"] = {
        "get": {
            "summary": "Every event's numbers and per employer totals (admin)",
            "security": _SECURED,
            "responses": {"200": _json({"type": "object"}), "401": _ERR, "403": _ERR},
        }
    }
    return paths


def _replay_paths() -> dict[str, Any]:
    """The recording of an ended event and its cues (issue 17: ``web/replays``)."""
    replay_in = {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": "string",
                "maxLength": 2000,
                "description": "http(s) address of an .mp4, .m4v, .webm or .m3u8 recording",
            },
            "lead_in_s": {"type": "number", "minimum": 0, "maximum": 120},
            "offset_s": {"type": "number", "minimum": 0, "maximum": 43200},
        },
    }
    replay_out = {"type": "object", "required": ["replay", "cues"]}
    return {
        "/api/events/{event_id}/replay": {
            "get": _op("The recording and its cards' cues (anyone)", {"200": _json(replay_out)}),
            "put": _op(
                "Set the recording of an ended event (staff)",
                {"200": _json(replay_out), "400": _ERR, "409": _ERR, "413": _ERR, "422": _ERR},
                body=replay_in,
                secured=True,
            ),
            "delete": _op(
                "Remove the recording (staff)", {"204": {"description": "Removed"}}, secured=True
            ),
        }
    }


def _employer_paths() -> dict[str, Any]:
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
            "post": _op(
                "Give an employer its own token and page link (staff)",
                {"201": _json(obj, "Made; the token is shown this once"), "400": _ERR, "422": _ERR},
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
            "get": _op("Every employer's progress (staff)", {"200": _json(obj)}, secured=True),
        },
        "/api/events/{event_id}/employers/{employer}/tokens": {
            "delete": _op(
                "Revoke every token of an employer (staff); its name percent-encoded",
                {
                    "200": _json({"type": "object", "required": ["employer", "revoked"]}),
                    "422": _ERR,
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
            "get": _op("Each employer's contact, for the apply consent", {"200": _json(obj)})
        },
        "/api/events/{event_id}/employer": {
            "get": _op("The employer's own jobs (employer)", {"200": _json(obj)}, secured=True)
        },
        "/api/events/{event_id}/employer/applications": {
            "get": _op(
                "The employer's own applicants, newest first (employer)",
                {"200": _json(obj), "422": _ERR},
                secured=True,
                params=query,
            )
        },
        "/api/events/{event_id}/employer/applications/{application_id}": {
            "patch": _op(
                "Record an intent or an outcome on its own applicant (employer)",
                {"200": _json(obj), "400": _ERR, "409": _ERR, "422": _ERR},
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


def _followup_paths() -> dict[str, Any]:
    """Follow-up after hire (issue 17 part 4: ``web/followups``; docs/api.md)."""
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
    put = {"200": _json(obj), "400": _ERR, "409": _ERR, "413": _ERR, "422": _ERR}
    paths: dict[str, Any] = {}
    for prefix, who in (("", "staff"), ("/employer", "employer: its own hires")):
        paths[f"/api/events/{{event_id}}{prefix}/followups"] = {
            "get": _op(
                f"Hires with their 7- and 30-day checks, and the retention ({who})",
                {"200": _json(obj)},
                secured=True,
                params=due,
            )
        }
        paths[f"/api/events/{{event_id}}{prefix}/followups/{{application_id}}"] = {
            "put": _op(
                f"Record or correct a follow-up mark on a hire ({who})",
                put,
                body=mark,
                secured=True,
                params=[app_id],
            )
        }
    switch = {"type": "object", "required": ["enabled", "statuses", "consent"]}
    paths["/api/events/{event_id}/status-notices"] = {
        "get": _op("Whether applicants are told of interviews and hires", {"200": _json(switch)}),
        "put": _op(
            "Turn the status notices on or off (staff)",
            {"200": _json(switch), "400": _ERR, "413": _ERR, "422": _ERR},
            body={
                "type": "object",
                "required": ["enabled"],
                "additionalProperties": False,
                "properties": {"enabled": {"type": "boolean"}},
            },
            secured=True,
        ),
    }
    return paths


def _attribution_paths() -> dict[str, Any]:
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
        "properties": {"cities": _CITIES},
    }
    return {
        "/api/events/{event_id}/cities": {
            "put": _op(
                "Replace the event's cities (staff)",
                {"200": _json(cities), "400": _ERR, "413": _ERR, "422": _ERR},
                body=cities,
                secured=True,
            )
        },
        "/api/events/{event_id}/channels": {
            "post": _op(
                "Add a channel, or get the one of that name (staff)",
                {
                    "201": _json(channel),
                    "200": _json(channel),
                    **dict.fromkeys(("400", "409", "413", "422"), _ERR),
                },
                body=name,
                secured=True,
            ),
            "get": _op(
                "The event's channels (staff, host)",
                {
                    "200": _json(
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


def _venue_paths(apply_in: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any]:
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
    written = dict.fromkeys(("400", "413", "415", "422"), _ERR)
    return {
        "/api/events/{event_id}/venues": {
            "post": _op(
                "Make a venue: its check-in link and a station token, shown once (staff)",
                {"201": _json({"type": "object", "required": ["venue", "station"]}), **written},
                body=venue_in,
                secured=True,
            ),
            "get": _op(
                "The venues with their check-in counts and links (staff, host)",
                {"200": _json({"type": "object", "required": ["venues", "checked_in"]})},
                secured=True,
            ),
        },
        "/api/events/{event_id}/venues/{venue_id}": {
            "get": _op("A venue (anyone: check-in)", {"200": _json(obj)}, params=[venue_id])
        },
        "/api/events/{event_id}/venues/{venue_id}/stations": {
            "post": _op(
                "Another station token for the venue, shown once (staff)",
                {"201": _json(station_link)},
                secured=True,
                params=[venue_id],
            ),
            "delete": _op(
                "Revoke every station token of the venue (staff)",
                {"200": _json({"type": "object", "required": ["revoked"]})},
                secured=True,
                params=[venue_id],
            ),
        },
        "/api/events/{event_id}/venues/{venue_id}/checkins": {
            "post": _op(
                "Check in at the venue (anyone, with consent)",
                {
                    "201": _json(checked, "Checked in"),
                    "200": _json(checked, "Already checked in here"),
                    **written,
                    "409": _ERR,
                    "429": _ERR,
                    "503": _ERR,
                },
                body=checkin_in,
                params=[venue_id],
            )
        },
        "/api/events/{event_id}/station": {
            "get": _op("The station token's own venue (station)", {"200": _json(obj)}, secured=True)
        },
        "/api/events/{event_id}/venues/{venue_id}/applications": {
            "post": _op(
                "Apply for a person at the venue, credited to it (station of that venue)",
                {
                    "201": _json(applied, "Stored"),
                    "200": _json(applied, "Already applied"),
                    **written,
                    "409": _ERR,
                    "429": _ERR,
                    "503": _ERR,
                },
                body=station_in,
                secured=True,
                params=[venue_id],
            )
        },
    }


def _signup_paths() -> dict[str, Any]:
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
            "post": _op(
                "Sign up to be reminded, before go-live (public); a phone signs up once",
                {
                    "201": _json({"type": "object"}, "Signed up"),
                    "200": _json({"type": "object"}, "Already signed up (duplicate)"),
                    "400": _ERR,
                    "409": _ERR,
                    "413": _ERR,
                    "415": _ERR,
                    "422": _ERR,
                    "429": _ERR,
                },
                body=signup,
            )
        },
        "/api/events/{event_id}/signups/{signup_id}/watched": {
            "post": _op(
                "The sign-up's page is watching the live event (public: the watch token)",
                {"200": _json({"type": "object"}), "409": _ERR},
                params=[token],
            )
        },
        "/api/events/{event_id}/funnel": {
            "get": _op(
                "Signed up, watched, applied, hired, show-up rate (staff)",
                {"200": _json({"type": "object"})},
                secured=True,
            )
        },
        "/api/events/{event_id}/notifications": {
            "get": _op(
                "The event's notices by state, and the dead ones (staff)",
                {"200": _json({"type": "object"})},
                secured=True,
            )
        },
    }
