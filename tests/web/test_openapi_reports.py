"""The OpenAPI document describes the report routes (``web/reports``) and the admin page's API
calls, with the role and the formats they answer in."""

from __future__ import annotations

from aiohttp import web

from liveevent.tables.xlsx_out import XLSX_CONTENT_TYPE
from liveevent.web import reports
from liveevent.web.openapi import document
from tests.support import ADMIN_TOKEN, LiveServer


def test_every_report_route_is_described() -> None:
    paths = document()["paths"]
    described = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    routes = {(r.method, r.path) for r in reports.routes if isinstance(r, web.RouteDef)}
    assert routes and routes <= described, routes - described
    fairs = paths["/api/report"]["get"]
    assert fairs["security"] == [{"bearer": []}]
    assert set(fairs["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
        XLSX_CONTENT_TYPE,
    }
    assert {p["name"] for p in fairs["parameters"]} == {"from", "to", "format", "lang"}


async def test_the_described_formats_are_what_the_server_answers(server: LiveServer) -> None:
    content = document()["paths"]["/api/report"]["get"]["responses"]["200"]["content"]
    assert server.session is not None
    for fmt in ("json", "csv", "xlsx"):
        async with server.session.get(
            f"{server.url}/api/report?from=2026-01-01&to=2026-01-31&format={fmt}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as resp:
            assert resp.status == 200
            assert resp.content_type in content, (fmt, resp.content_type)
