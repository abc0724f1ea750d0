"""Origin checks: refuse a browser page from a site we did not allow.

Used for every websocket handshake and every state-changing HTTP request (``POST``, ``PUT``,
``PATCH``, ``DELETE``: ``middleware.browser_guard``), with one allow-list: the server's own
origin plus ``allowed_origins``. A request with a foreign ``Origin``, or none but with
``Sec-Fetch-Site: cross-site`` (Fetch Metadata, sent by current browsers), is refused with 403
before anything is read or stored. This is what stops a page on another site from making its
visitors' browsers submit applications (cross-site request forgery).

A request without either header is a native client (``curl`` with a staff token,
``liveevent watch``, a load generator): a browser cannot leave them out of a cross-site
request, so it is allowed. ``null`` and look-alikes are not: matches are exact, scheme and port
included. An allowed origin on another site sends ``Sec-Fetch-Site: cross-site`` too: its
``Origin`` decides.
"""

from __future__ import annotations

from aiohttp import web

from liveevent.errors import Forbidden
from liveevent.web.appkeys import SETTINGS


def own_origin(request: web.Request) -> str:
    """The server's own origin, ``scheme://host[:port]`` (RFC 6454 serialisation, as
    browsers send it): from ``public_url`` when set, else from the request's scheme and
    ``Host``. Raises nothing."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        scheme, _, rest = settings.public_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return f"{request.scheme}://{request.host}"


def check_origin(request: web.Request) -> None:
    """Raise ``Forbidden`` (403, naming the header) for a request from a foreign site.

    Returns None otherwise. ``Origin`` (RFC 6454) is compared exactly, a trailing ``/``
    aside; ``Sec-Fetch-Site`` is the W3C Fetch Metadata header.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        if request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
            raise Forbidden(
                "a page on another site may not do this",
                fields={"Sec-Fetch-Site": "cross-site"},
            )
        return
    allowed = {own_origin(request), *request.app[SETTINGS].allowed_origins}
    if origin.rstrip("/") not in allowed:
        raise Forbidden("this origin may not do this here", fields={"Origin": "not allowed"})
