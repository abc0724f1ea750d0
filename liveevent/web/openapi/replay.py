"""The recording of an ended event and its cues (issue 17)."""

from __future__ import annotations

from typing import Any

from liveevent.web.openapi.core import ERR, json_of, operation


def paths() -> dict[str, Any]:
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
            "get": operation(
                "The recording and its cards' cues (anyone)", {"200": json_of(replay_out)}
            ),
            "put": operation(
                "Set the recording of an ended event (staff)",
                {"200": json_of(replay_out), "400": ERR, "409": ERR, "413": ERR, "422": ERR},
                body=replay_in,
                secured=True,
            ),
            "delete": operation(
                "Remove the recording (staff)", {"204": {"description": "Removed"}}, secured=True
            ),
        }
    }
