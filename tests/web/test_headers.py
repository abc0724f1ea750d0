"""Response headers (issue 12, item 9): a CSP with scripts from this server only and no
framing (except the overlay, which is meant to be embedded), ``nosniff``, no referrer, and
``Cache-Control: no-store`` on every response that may carry personal data."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

from liveevent.web.pages import static_dir
from tests.reliability.support import next_phone
from tests.support import ADMIN_TOKEN, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


def _csp(value: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in value.split(";") if part.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


async def test_pages_have_a_csp_and_no_framing(make_server: MakeServer) -> None:
    server = await make_server()
    event = await server.create_event()
    assert server.session is not None
    for path, framed in [
        (f"/e/{event.id}", False),
        (f"/host/{event.id}", False),
        (f"/staff/{event.id}", False),
        (f"/overlay/{event.id}?token={event.overlay_token}", True),
        ("/", False),
        (f"/api/events/{event.id}", False),
        ("/api/events/nope", False),  # errors too
    ]:
        async with server.session.get(server.url + path) as resp:
            headers = resp.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        csp = _csp(headers["Content-Security-Policy"])
        assert csp["script-src"] == "'self'", path
        assert "unsafe-inline" not in headers["Content-Security-Policy"], path
        assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'", path
        if framed:
            assert "frame-ancestors" not in csp and "X-Frame-Options" not in headers, path
        else:
            assert csp["frame-ancestors"] == "'none'", path
            assert headers["X-Frame-Options"] == "DENY", path
    async with server.session.get(server.url + "/static/js/viewer.js") as resp:
        assert resp.status == 200 and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in resp.headers.get("Cache-Control", "")  # public, cacheable


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>: an inline event handler")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}>: a javascript: URL")
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.problems.append("<script> without src: inline script")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script text: {data.strip()[:40]!r}")


def test_static_pages_have_no_inline_script() -> None:
    pages = sorted(static_dir().glob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        parser = _Scripts()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.problems == [], page.name
    for source in sorted((static_dir() / "js").glob("*.js")):
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|innerHTML\s*=", text), source.name


async def test_personal_data_is_never_cached(make_server: MakeServer) -> None:
    """Every API answer that has not chosen its caching is ``no-store``: applications,
    exports, stats, tokens. Walked over every GET route, so a new one is covered too."""
    server = await make_server()
    event = await server.create_event()
    status, _ = await server.apply(event, "j1", next_phone())
    assert status == 201
    assert server.session is not None
    # The apply answer and the new event's tokens.
    async with server.session.post(
        f"{server.url}/api/events/{event.id}/applications",
        json={"job_id": "j2", "name": "张三", "phone": next_phone()},
    ) as resp:
        assert resp.status == 201 and resp.headers["Cache-Control"] == "no-store"
    async with server.session.post(
        f"{server.url}/api/events",
        json={"title": "t"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as resp:
        assert resp.status == 201 and resp.headers["Cache-Control"] == "no-store"
    checked = []
    for route in server.app.router.routes():
        name = route.name or ""
        if route.method != "GET" or route.resource is None or name == "static":
            continue
        if name.startswith("page_") or name == "qr_code":  # pages: no personal data
            continue
        path = route.resource.canonical.replace("{event_id}", event.id)
        path = re.sub(r"\{table[^}]*\}", "applications", path)
        path = re.sub(r"\{ext[^}]*\}", "csv", path)
        path = re.sub(r"\{[^}]+\}", "x", path)
        async with server.session.get(
            server.url + path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as resp:
            await resp.read()
            checked.append((path, resp.status))
            assert resp.headers.get("Cache-Control") == "no-store", (path, resp.status)
    paths = dict(checked)
    assert paths[f"/api/events/{event.id}/applications"] == 200, checked
    assert paths[f"/api/events/{event.id}/export/applications.csv"] == 200, checked
