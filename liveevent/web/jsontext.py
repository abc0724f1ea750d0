"""JSON text from clients (request bodies, viewer messages) parsed the same way everywhere."""

from __future__ import annotations

import json
from typing import Any

import orjson


def parse_json(data: bytes | str) -> Any:
    """The value of the JSON text ``data`` (RFC 8259), fast with orjson.

    orjson is strict (no lone surrogates, no NaN): for text it refuses, the standard parser
    decides, so that such text reaches the field checks and they name the field. Raises
    ``json.JSONDecodeError`` or ``UnicodeDecodeError`` (both ``ValueError``s) for text that is
    not JSON, and ``RecursionError`` for nesting too deep for the standard parser.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
