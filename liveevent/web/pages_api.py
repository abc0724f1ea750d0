"""What the pages need beyond the contract: the staff chart's applications per minute.

``GET /api/events/{event_id}/activity`` (host, staff): applications counted per minute of the
broadcast and every card push, so a chart can show which card drew whom; ``?since=`` for only
what changed since the last poll.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.errors import InvalidInput
from liveevent.store.applications import MINUTE_MS
from liveevent.web.appkeys import APPLICATIONS, EVENTS
from liveevent.web.auth import require_role

routes = web.RouteTableDef()

BUCKET_MS = MINUTE_MS  # the bucket of the store's minutes index
MAX_BUCKETS = 24 * 60  # a day of minutes; a longer event is drawn from its last day


@routes.get("/api/events/{event_id}/activity", name="activity")
async def activity(request: web.Request) -> web.Response:
    """``{"bucket_s", "start", "buckets": [{"at", "applications"}], "pushes": [...], "since"}``.

    ``start`` and every ``at`` are ISO times; buckets run from the first push or application
    (whichever is earlier) to the last, empty minutes included. Each push is
    ``{"at", "card_id", "job_id", "employer", "title"}``. ``since`` (an integer, or null while
    there is nothing) is the minute of the last bucket: polling with ``?since=<it>`` answers the
    same object with only the buckets from that minute on (it may have grown since) and only the
    pushes made from its start on, so a page that polls merges them into what it has (replacing
    the buckets and pushes at and after that minute) instead of fetching the whole chart again.
    ``start`` is the full chart's in both answers: when it moved (a chart over a day long drops
    its oldest minute), fetch without ``since``. A ``since`` that is not a whole number >= 0 is
    422 naming it. Costs the same at any number of applications: the minutes index of
    ``scripts.APPLY``, never the applications stream.

    ``GET /api/events/{id}/activity`` (host, staff). Raises ``InvalidInput`` (422, ``since``),
    ``Unauthenticated`` (401), ``Forbidden`` (403), ``NotFound`` (404), ``StoreUnavailable``
    (503).
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("host", "staff"))
    since = _since(request.query.get("since"))
    pushes = await request.app[EVENTS].pushed_cards(event_id)
    # The per-minute index that APPLY keeps (a field per minute): never the whole stream.
    counts = await request.app[APPLICATIONS].minutes(event_id)
    minutes = list(counts) + [card.pushed_at // BUCKET_MS for card in pushes]
    body: dict[str, Any] = {
        "bucket_s": BUCKET_MS // 1000,
        "start": None,
        "buckets": [],
        "pushes": [],
        "since": None,
    }
    if minutes:
        last = max(minutes)
        first = max(min(minutes), last - MAX_BUCKETS + 1)
        body["start"] = values.iso(first * BUCKET_MS)
        body["since"] = last
        body["buckets"] = [
            {"at": values.iso(m * BUCKET_MS), "applications": counts.get(m, 0)}
            for m in range(max(first, since or 0), last + 1)
        ]
    body["pushes"] = [
        {
            "at": values.iso(card.pushed_at),
            "card_id": card.card_id,
            "job_id": card.job.id,
            "employer": card.job.employer,
            "title": card.job.title,
        }
        for card in pushes
        if since is None or card.pushed_at >= since * BUCKET_MS
    ]
    return web.json_response(body)


def _since(raw: str | None) -> int | None:
    """The ``since`` query parameter: None, or a minute (ms since the epoch // 60000)."""
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        why = "must be the since of an earlier answer: a whole number of minutes"
        raise InvalidInput(f"since {why}", fields={"since": why})
    return int(raw)
