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

from liveevent.domain.jobs import headcount_text
from liveevent.errors import InvalidInput

_SCHEMES = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}
# Pages that are not the viewer's, by the first part of their path: what a person who pasted
# one of them should be told (they hold a host/staff/overlay token, never sent to a socket).
_OTHER_PAGES = {
    "host": "the host console",
    "staff": "the staff page",
    "overlay": "the stream overlay",
    "ws/host": "the host console's socket",
}


def _refuse(url: str, why: str, *, instead: str | None) -> InvalidInput:
    # Shown without its #fragment or ?query: a pasted host or staff link carries its token there.
    url = url.split("#", 1)[0].split("?", 1)[0]
    todo = f"; watch the viewer page instead: liveevent watch {instead}" if instead else ""
    return InvalidInput(f"watch: {url} {why}{todo}", fields={"url": why})


def socket_url(url: str) -> str:
    """``http(s)://host/e/ID`` (the viewer page) or ``ws(s)://host/ws/events/ID`` -> the
    viewer socket's URL (``ws(s)://host/ws/events/ID``).

    Raises ``InvalidInput`` (``fields["url"]``), with the command to run instead where one can
    be worked out, for a URL without ``http://``/``https://``/``ws://``/``wss://``, without a
    host, or naming another page (the host console, staff page, overlay) or no event at all.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in _SCHEMES or not parts.netloc:
        # "fair.example/e/ID" and "localhost:8080/e/ID" (urlsplit reads "localhost" as the
        # scheme) alike: the address as typed, with http:// in front, is what was meant.
        guess = "http://" + text.split("://", 1)[-1]
        usable = bool(urlsplit(guess).netloc) and socket_url_or_none(guess) is not None
        raise _refuse(
            url,
            "is not a web address (it must start with http://, https://, ws:// or wss://)",
            instead=guess if usable else None,
        )
    scheme = _SCHEMES[parts.scheme]
    segments = [s for s in parts.path.split("/") if s]
    page = f"{parts.scheme}://{parts.netloc}/e/"
    if len(segments) == 2 and segments[0] == "e":
        return f"{scheme}://{parts.netloc}/ws/events/{segments[1]}"
    if len(segments) == 3 and segments[:2] == ["ws", "events"]:
        return f"{scheme}://{parts.netloc}/ws/events/{segments[2]}"
    for prefix, what in _OTHER_PAGES.items():
        head = prefix.split("/")
        if segments[: len(head)] == head and len(segments) == len(head) + 1:
            web = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
            instead = f"{web}://{parts.netloc}/e/{segments[-1]}"
            raise _refuse(url, f"is {what}, not an event's viewer page", instead=instead)
    raise _refuse(
        url, f"is not an event's viewer page (they look like {page}EVENT_ID)", instead=None
    )


def socket_url_or_none(url: str) -> str | None:
    """``socket_url(url)``, or None where it would raise."""
    try:
        return socket_url(url)
    except InvalidInput:
        return None


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
    if kind == "openings":
        return f"   (job {message['job_id']}: {message['hires']} hired)"
    if kind == "viewers":
        return f"   ({message['count']} watching)"
    return None


def _card(card: dict[str, Any]) -> str:
    job = card["job"]
    extra = " · ".join(str(job[k]) for k in ("salary", "location") if job.get(k))
    # A record from before ranges has only ``openings``: an exact count (see `Job`).
    low = job.get("openings")
    headcount = headcount_text(low, job.get("openings_max", low))
    return f">> {job['employer']} — {job['title']} · {headcount}{' · ' + extra if extra else ''}"


async def watch(
    url: str, *, once: bool = False, out: TextIO = sys.stdout, max_backoff_s: float = 10.0
) -> int:
    """Print the event's cards to ``out`` until cancelled (or, with ``once``, until the hello).

    Returns 0. Raises ``InvalidInput`` (the CLI's exit 2, one line saying what to run instead)
    for an address that is not an event's viewer page or socket, or that the server refuses.
    """
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
                raise _refused(url, exc.response.status_code) from exc
            if isinstance(exc, websockets.InvalidURI):  # never retried: it cannot get better
                raise _refuse(url, f"is not a usable address ({exc})", instead=None) from exc
            print(f"(disconnected: {type(exc).__name__}; reconnecting)", file=sys.stderr)
        await asyncio.sleep(backoff * (0.5 + random.random()))
        backoff = min(backoff * 2, max_backoff_s)


def _refused(url: str, status: int) -> InvalidInput:
    if status == 200:
        why = "answered with a web page, not the event's live socket"
    elif status == 404:
        why = "names no event on that server (HTTP 404); check the event id"
    else:
        why = f"was refused by the server (HTTP {status})"
    return _refuse(url, why, instead=None)
