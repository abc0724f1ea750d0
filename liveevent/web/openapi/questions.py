"""Questions on the card on screen (issue 17 part 2)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import ERR, json_of, operation


def paths() -> dict[str, Any]:
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
            "post": operation(
                "Ask about the card on screen (anyone, JSON only)",
                {
                    "201": json_of({"type": "object"}, "Asked"),
                    **{code: ERR for code in ("400", "409", "413", "415", "422", "429", "503")},
                },
                body=ask,
            ),
            "get": operation(
                "The questions (host, staff; an employer: its own jobs')",
                {"200": json_of({"type": "object"}), "422": ERR, "503": ERR},
                secured=True,
                params=query,
            ),
        },
        "/api/events/{event_id}/questions/{question_id}": {
            "post": operation(
                "Approve, hide or answer a question (host, staff; employer: answer its own)",
                {
                    "200": json_of({"type": "object"}),
                    **{code: ERR for code in ("400", "409", "413", "422", "503")},
                },
                body=move,
                secured=True,
                params=[question_id],
            ),
        },
    }
