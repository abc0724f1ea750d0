"""Origin checks for websockets: refuse a browser page from a site we did not allow.

A request without an Origin header is a native client (``liveevent watch``, a load
generator), which a browser cannot forge, so it is allowed. ``null`` and look-alikes are not:
matches are exact, scheme and port included.
"""

from __future__ import annotations

from aiohttp import web

from liveevent.errors import Forbidden
from liveevent.web.appkeys import SETTINGS


def own_origin(request: web.Request) -> str:
    settings = request.app[SETTINGS]
    if settings.public_url:
        scheme, _, rest = settings.public_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return f"{request.scheme}://{request.host}"


def check_origin(request: web.Request) -> None:
    origin = request.headers.get("Origin")
    if origin is None:
        return
    allowed = {own_origin(request), *request.app[SETTINGS].allowed_origins}
    if origin.rstrip("/") not in allowed:
        raise Forbidden(
            "this origin may not open a websocket here", fields={"Origin": "not allowed"}
        )
