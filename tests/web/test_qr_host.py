"""The Host header in QR codes (issue 12, item 10).

With ``public_url`` unset, ``Host: evil.example`` made ``qr.svg`` encode
``http://evil.example/e/...``, cached for 60 s. Now, without ``public_url``, only a Host that
names the address the connection arrived at is used (the demo on a LAN); anything else is
400 naming ``Host``, and the picture is never cacheable. With ``public_url`` the Host header
plays no part and the picture may be cached.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import segno

from tests.support import ADMIN_TOKEN, LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]


def _qr(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    return out.getvalue()


async def _get(server: LiveServer, path: str, host: str) -> tuple[int, bytes, dict[str, str]]:
    assert server.session is not None
    async with server.session.get(server.url + path, headers={"Host": host}) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


async def _event_with_start(server: LiveServer) -> str:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={"title": "t", "starts_at": "2030-01-01T10:00:00Z"},
    )
    assert status == 201, body
    return str(body["id"])


async def test_foreign_host_is_refused_without_public_url(make_server: MakeServer) -> None:
    server = await make_server()
    event = await server.create_event()
    planned = await _event_with_start(server)
    port = server.port
    paths = [
        f"/api/events/{event.id}/qr.svg",
        f"/api/events/{event.id}/qr.svg?job=j1",
        f"/api/events/{planned}/calendar.ics",
    ]
    for host in [
        "evil.example",
        f"evil.example:{port}",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.evil.example:{port}",
        f"10.0.0.1:{port}",
        f"[::1]:{port}",  # loopback, but not the address this connection came in on
        "2130706433",  # 127.0.0.1 as a number: not an address text we accept
        f"evil.example@127.0.0.1:{port}",
    ]:
        for path in paths:
            status, body, headers = await _get(server, path, host)
            assert status == 400, (host, path, body)
            assert b'"Host"' in body and b"evil" not in body, (host, path)
            assert headers["Cache-Control"] == "no-store"

    # The address the server was reached at: encoded, and never cached for another host.
    for host, base in [
        (f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"),
        (f"localhost:{port}", f"http://localhost:{port}"),
    ]:
        status, body, headers = await _get(server, f"/api/events/{event.id}/qr.svg", host)
        assert status == 200 and body == _qr(f"{base}/e/{event.id}"), host
        assert headers["Cache-Control"] == "no-store" and headers["Vary"] == "Host"
        status, body, _ = await _get(server, f"/api/events/{planned}/calendar.ics", host)
        assert status == 200 and f"URL:{base}/e/{planned}".encode() in body


async def test_public_url_ignores_host(make_server: MakeServer) -> None:
    server = await make_server(public_url="https://fair.example.edu.cn")
    event = await server.create_event()
    for host in ("evil.example", f"127.0.0.1:{server.port}"):
        status, body, headers = await _get(server, f"/api/events/{event.id}/qr.svg?job=j2", host)
        assert status == 200
        assert body == _qr(f"https://fair.example.edu.cn/e/{event.id}?job=j2")
        assert headers["Cache-Control"] == "public, max-age=60"


async def test_a_host_with_something_after_its_address_is_refused(make_server: MakeServer) -> None:
    """Only the part before the last ``:`` used to be checked, and the whole header was
    encoded: ``Host: 127.0.0.1:@evil.example`` passed as 127.0.0.1 and the QR code read
    ``http://127.0.0.1:@evil.example/e/...``, whose host (after the userinfo) is evil.example.
    What follows the address may only be a port."""
    server = await make_server()
    event = await server.create_event()
    planned = await _event_with_start(server)
    port = server.port
    for host in [
        "127.0.0.1:@evil.example",
        f"127.0.0.1:{port}@evil.example",
        f"localhost:{port}@evil.example",
        f"127.0.0.1:{port},evil.example",
        f"127.0.0.1:{port}/evil",
        f"127.0.0.1:{port}#x",
        "127.0.0.1:99999",
        "127.0.0.1:" + "9" * 5000,
        "127.0.0.1:",
    ]:
        for path in (f"/api/events/{event.id}/qr.svg", f"/api/events/{planned}/calendar.ics"):
            status, body, _ = await _get(server, path, host)
            assert status == 400, (host, path, body)
            assert b'"Host"' in body and b"evil" not in body, (host, path)
