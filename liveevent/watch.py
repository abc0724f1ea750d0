"""``liveevent watch URL``: a terminal viewer, and the reference client for the protocol.

It connects to an event's viewer websocket, prints each card as it arrives and, when the
connection drops, reconnects with backoff and resumes from the last cursor it saw.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import Any, TextIO
from urllib.parse import urlsplit

import websockets

from liveevent.errors import InvalidInput


def socket_url(url: str) -> str:
    """``http://host/e/ID`` (the viewer page) or ``ws://host/ws/events/ID`` -> the ws URL.

    Raises `InvalidInput` naming ``url`` when it is not an http(s) or ws(s) address with a host
    (``localhost:8080/e/ID``, without ``http://``, could never connect: watch would retry forever).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise InvalidInput(
            f"{url!r} is not a page address: give it whole, e.g. http://127.0.0.1:8080/e/ID",
            fields={"url": "not an http(s) or ws(s) address"},
        )
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path
    if path.startswith("/e/"):
        path = "/ws/events/" + path[3:].strip("/")
    return f"{scheme}://{parts.netloc}{path}"


def describe(message: dict[str, Any]) -> str | None:
    kind = message.get("type")
    if kind == "hello":
        if message.get("resumed"):
            return None  # what was missed follows as ordinary messages
        event = message["event"]
        line = f"== {event['title']} ({event['state']})"
        card = message.get("card")
        return line + (f"\n{_card(card)}" if card else "\n(no card on screen)")
    if kind == "card":
        return _card(message["card"])
    if kind == "withdraw":
        return "-- card withdrawn"
    if kind == "state":
        return f"== event is now {message['state']}"
    if kind == "viewers":
        return f"   ({message['count']} watching)"
    return None


def _card(card: dict[str, Any]) -> str:
    job = card["job"]
    extra = " · ".join(str(job[k]) for k in ("salary", "location") if job.get(k))
    openings = f" · 招{job['openings']}人" if job.get("openings") else ""
    return f">> {job['employer']} — {job['title']}{openings}{' · ' + extra if extra else ''}"


async def watch(
    url: str, *, once: bool = False, out: TextIO = sys.stdout, max_backoff_s: float = 10.0
) -> int:
    base = socket_url(url)
    cursor: str | None = None
    backoff = 0.5
    while True:
        # role=monitor: a terminal watching is not a viewer, so it is left out of the count.
        target = f"{base}?role=monitor" + (f"&since={cursor}" if cursor else "")
        try:
            async with websockets.connect(target, compression=None, max_size=2**20) as ws:
                backoff = 0.5
                async for raw in ws:
                    message = json.loads(raw)
                    cursor = message.get("cursor", cursor)
                    text = describe(message)
                    if text:
                        print(text, file=out, flush=True)
                    if once and message.get("type") == "hello":
                        return 0
        except (OSError, websockets.WebSocketException) as exc:
            if isinstance(exc, websockets.InvalidStatus):
                print(f"refused: HTTP {exc.response.status_code}", file=sys.stderr)
                return 1
            print(f"(disconnected: {type(exc).__name__}; reconnecting)", file=sys.stderr)
        await asyncio.sleep(backoff * (0.5 + random.random()))
        backoff = min(backoff * 2, max_backoff_s)
