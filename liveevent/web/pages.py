"""The pages people use (served from ``static/``), their QR codes and calendar files."""

from __future__ import annotations

import io
import ipaddress
from datetime import UTC, datetime
from pathlib import Path

import segno
from aiohttp import web

from liveevent.errors import ClientError, Forbidden, InvalidInput, NotFound
from liveevent.web.appkeys import ATTRIBUTION, EVENTS, SETTINGS, VENUES
from liveevent.web.auth import require_role
from liveevent.web.origin import own_origin

PAGES = {
    "e": "viewer.html",
    "host": "host.html",
    "staff": "staff.html",
    "overlay": "overlay.html",
    "checkin": "checkin.html",  # /checkin/{id}?venue=V: people arriving at a venue
    "station": "station.html",  # /station/{id}#token=T: a venue's station (tablet)
    "employer": "employer.html",  # /employer/{id}#token=T: an employer's own applicants
}


def static_dir() -> Path:
    """Installed: ``liveevent/static``; in a checkout: the repository's ``static/``.

    Not checked beyond ``viewer.html``'s presence in the first; raises nothing.
    """
    here = Path(__file__).resolve().parent.parent
    installed = here / "static"
    if (installed / "viewer.html").exists():
        return installed
    return here.parent / "static"


def add_routes(app: web.Application) -> None:
    """Add the pages (``/e/``, ``/host/``, ``/staff/``, ``/overlay/`` + event id), the QR
    code, the calendar file, ``/`` and ``/static/`` to ``app``'s router. Returns None.

    Raises aiohttp's ``RuntimeError`` on a frozen router, ``ValueError`` if the static folder
    does not exist.
    """
    for prefix, filename in PAGES.items():
        app.router.add_get(f"/{prefix}/{{event_id}}", _page(filename), name=f"page_{prefix}")
    app.router.add_get("/api/events/{event_id}/qr.svg", qr_code, name="qr_code")
    app.router.add_get("/api/events/{event_id}/calendar.ics", calendar, name="calendar")
    app.router.add_get("/", index, name="index")
    app.router.add_static("/static/", static_dir(), name="static", append_version=True)


def _page(filename: str):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.StreamResponse:
        event_id = request.match_info["event_id"]
        await request.app[EVENTS].event_view(event_id)
        if filename == "overlay.html":
            # OBS cannot send headers: the overlay's token comes in the query string. Only
            # that read-only token: a host or admin token in a URL would end up in OBS scene
            # files and access logs, so it is refused here even though it is valid.
            token = request.query.get("token", "")
            role = await require_role(request, event_id, ("overlay",), token=token or None)
            if role != "overlay":
                raise Forbidden("the overlay's link takes the overlay token, not this one")
        path = static_dir() / filename
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


async def index(request: web.Request) -> web.Response:
    """``GET /``: a one-line HTML page saying the server runs. Raises nothing."""
    return web.Response(
        text="<!doctype html><meta charset=utf-8><title>liveevent</title>"
        "<p>liveevent is running. Open an event's page: /e/&lt;event id&gt;.</p>",
        content_type="text/html",
    )


def viewer_url(
    request: web.Request, event_id: str, job_id: str | None = None, *, channel: str | None = None
) -> str:
    """The viewer page's address, as printed in QR codes and calendar files.

    ``public_url`` when it is set. Without it (the demo, a laptop on a LAN) the request's
    ``Host`` is used only if it names the address this connection actually arrived at (or
    ``localhost`` on loopback): anyone can send ``Host: evil.example``, and the QR code on the
    host's screen must not send a room of phones there. Raises ``ClientError`` (400, naming
    ``Host``) otherwise; behind a proxy that means: set ``public_url``.
    """
    url = f"{public_base(request)}/e/{event_id}"
    query = [f"job={job_id}"] if job_id else []
    if channel:
        query.append(f"ch={channel}")  # the channel the viewer came through (issue 16)
    return f"{url}?{'&'.join(query)}" if query else url


def public_base(request: web.Request) -> str:
    """The origin printed links start with: ``public_url``, or the request's own origin when
    its ``Host`` is this connection's address (see ``viewer_url``). Raises ``ClientError``
    (400, naming ``Host``) otherwise."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url
    check_host(request)
    return own_origin(request)


def checkin_url(request: web.Request, event_id: str, venue_id: str) -> str:
    """A venue's check-in page (``/checkin/{id}?venue=V``), as its QR code prints it. Raises
    ``ClientError`` (400, ``Host``) as ``public_base``."""
    return f"{public_base(request)}/checkin/{event_id}?venue={venue_id}"


def check_host(request: web.Request) -> None:
    """Raise ``ClientError`` (400) unless ``Host`` names the local address of the connection."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    local = _address(str(sockname[0])) if isinstance(sockname, tuple) and sockname else None
    name = _host_name(request.headers.get("Host", ""))
    wanted = _address(name)
    if local is not None and (
        (wanted is not None and wanted == local) or (name == "localhost" and local.is_loopback)
    ):
        return
    raise ClientError(
        "the Host header is not this server's address; set public_url for printed links",
        fields={"Host": "not allowed without public_url"},
    )


def _host_name(header: str) -> str:
    """The name in a ``Host`` header (RFC 9110 7.2: ``name[:port]``, IPv6 in brackets),
    lowercased; ``""`` if anything but a port follows it. The whole header becomes the link
    (``own_origin``), so ``127.0.0.1:@evil.example`` must not pass as 127.0.0.1: it is a link
    to evil.example."""
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        if rest and not rest.startswith(":"):
            return ""
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = header.partition(":")
        port = port_text if colon else None
    if port is not None and not (
        port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536
    ):
        return ""
    return name.lower()


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


async def qr_code(request: web.Request) -> web.Response:
    """An SVG QR code of the viewer page (``?job=ID`` opens that job's apply form; ``?ch=ID``
    credits the viewers who scan it to that channel), or of a venue's check-in page
    (``?venue=ID``).

    ``GET /api/events/{id}/qr.svg`` (public): ISO/IEC 18004 by segno, error correction M,
    8 px modules, a 2-module border. Raises ``NotFound`` (404, event, job, channel or venue),
    ``ClientError`` (400, ``Host``; see ``viewer_url``), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    await request.app[EVENTS].event_view(event_id)
    job_id = request.query.get("job")
    venue_id = request.query.get("venue")
    if venue_id is not None:
        await request.app[VENUES].venue(event_id, venue_id)
        target = checkin_url(request, event_id, venue_id)
    else:
        if job_id is not None:
            await request.app[EVENTS].job(event_id, job_id)
        channel = request.query.get("ch")
        if channel is not None:
            _cities, channels = await request.app[ATTRIBUTION].known(event_id)
            if channel not in channels:
                raise NotFound("no such channel in this event", fields={"ch": "unknown channel"})
        target = viewer_url(request, event_id, job_id, channel=channel)
    out = io.BytesIO()
    segno.make(target, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    # With public_url the picture is the same for every caller and may be cached anywhere;
    # without it, it depends on the Host header: no cache may keep it for another host.
    caching = "public, max-age=60" if request.app[SETTINGS].public_url else "no-store"
    return web.Response(
        body=out.getvalue(),
        content_type="image/svg+xml",
        headers={"Cache-Control": caching, "Vary": "Host"},
    )


def _ics_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


async def calendar(request: web.Request) -> web.Response:
    """An .ics file to add the broadcast to a calendar (needs a start time).

    ``GET /api/events/{id}/calendar.ics`` (public): an RFC 5545 VCALENDAR with one VEVENT of
    two hours from ``starts_at``, in UTC, linking the viewer page. Raises ``InvalidInput``
    (422, naming ``starts_at``) when the event has none, ``NotFound`` (404), ``ClientError``
    (400, ``Host``), ``StoreUnavailable`` (503).
    """
    event_id = request.match_info["event_id"]
    view = await request.app[EVENTS].event_view(event_id)
    if view.event.starts_at is None:
        raise InvalidInput("this event has no start time", fields={"starts_at": "not set"})
    start = view.event.starts_at
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//liveevent//EN",
        "BEGIN:VEVENT",
        f"UID:{event_id}@liveevent",
        f"DTSTAMP:{_ics_time(view.event.created_at)}",
        f"DTSTART:{_ics_time(start)}",
        f"DTEND:{_ics_time(start + 2 * 3600 * 1000)}",
        f"SUMMARY:{_ics_text(view.event.title)}",
        f"URL:{viewer_url(request, event_id)}",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return web.Response(
        body="\r\n".join(lines).encode(),
        content_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event_id}.ics"'},
    )
