"""What the pages need beyond the contract: the staff chart's applications per minute.

``GET /api/events/{event_id}/activity`` (host, staff): applications counted per minute of the
broadcast and every card push, so a chart can show which card drew whom.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liveevent.domain import values
from liveevent.store.applications import MINUTE_MS
from liveevent.web.appkeys import APPLICATIONS, EVENTS
from liveevent.web.auth import require_role

routes = web.RouteTableDef()

BUCKET_MS = MINUTE_MS  # the bucket of the store's minutes index
MAX_BUCKETS = 24 * 60  # a day of minutes; a longer event is drawn from its last day


@routes.get("/api/events/{event_id}/activity", name="activity")
async def activity(request: web.Request) -> web.Response:
    """``{"bucket_s", "start", "buckets": [{"at", "applications"}], "pushes": [...]}``.

    ``start`` and every ``at`` are ISO times; buckets run from the first push or application
    (whichever is earlier) to the last, empty minutes included. Each push is
    ``{"at", "card_id", "job_id", "employer", "title"}``.
    """
    event_id = request.match_info["event_id"]
    await require_role(request, event_id, ("host", "staff"))
    pushes = await request.app[EVENTS].pushes(event_id)
    # The per-minute index that APPLY keeps (a field per minute): never the whole stream.
    counts = await request.app[APPLICATIONS].minutes(event_id)
    minutes = list(counts) + [card.pushed_at // BUCKET_MS for card in pushes]
    body: dict[str, Any] = {"bucket_s": BUCKET_MS // 1000, "start": None, "buckets": []}
    if minutes:
        last = max(minutes)
        first = max(min(minutes), last - MAX_BUCKETS + 1)
        body["start"] = values.iso(first * BUCKET_MS)
        body["buckets"] = [
            {"at": values.iso(m * BUCKET_MS), "applications": counts.get(m, 0)}
            for m in range(first, last + 1)
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
    ]
    return web.json_response(body)
