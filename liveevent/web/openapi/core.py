"""What every part of the OpenAPI document uses: references, responses, an event's operation."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A ``$ref`` to the component schema ``name``. Raises nothing."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_of(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    """A JSON response of ``schema``. Raises nothing."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = {"$ref": "#/components/responses/Error"}
CSV = {
    "description": "CSV (UTF-8 with BOM)",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
CITY = "the event's city name (a sheet's place column is mapped onto it)"
CITIES = {
    "type": "array",
    "maxItems": 20,
    "items": {"type": "string", "minLength": 1, "maxLength": 20},
    "description": "the event's cities (issue 16), each once",
}
IDENT = "^[A-Za-z0-9_-]{1,64}$"
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]


def operation(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    secured: bool = False,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An operation on an event's path (``event_id`` first among its parameters); ``secured``
    adds the bearer scheme and its 401/403. Raises nothing."""
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    op["parameters"] = [EVENT_ID, *(params or [])]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if secured:
        op["security"] = SECURED
        responses.setdefault("401", ERR)
        responses.setdefault("403", ERR)
    responses.setdefault("404", ERR)
    return op
