"""The websocket Origin allow-list: exact matches only; ``null`` and look-alikes get 403 before
the upgrade (so a page on another site cannot even open the socket)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from tests.reliability.rawws import HandshakeRefused, RawViewer
from tests.support import LiveServer

ALLOWED = "https://fair.example.com"


def _refused(own: str) -> list[str]:
    host = own.split("://", 1)[1]
    port = host.rsplit(":", 1)[1]
    return [
        "null",
        "",
        "https://fair.example.com.evil.io",
        "https://evilfair.example.com",
        "https://fair.example.co",
        "http://fair.example.com",  # scheme differs
        "https://fair.example.com:8443",  # port differs
        "https://FAIR.EXAMPLE.COM.evil.io",
        "https://fair.example.com@evil.io",
        "https://evil.io/https://fair.example.com",
        f"{own}.evil.io",
        f"https://{host}",  # our host, other scheme
        f"http://127.0.0.1:{int(port) + 1}",
        f"http://localhost:{port}",
        "file://",
        "chrome-extension://abcdefghijklmnop",
    ]


@pytest.mark.parametrize("path", ["/ws/events/{e}", "/ws/host/{e}"])
async def test_origin_allow_list(
    make_server: Callable[..., Awaitable[LiveServer]], path: str
) -> None:
    server = await make_server(allowed_origins=(ALLOWED,))
    event = await server.create_event()
    assert server.session is not None
    url = server.url + path.replace("{e}", event.id)
    for origin in _refused(server.url):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await server.session.ws_connect(url, headers={"Origin": origin})
        assert refused.value.status == 403, origin
    # The same through a bare socket: the answer is a plain 403, no upgrade.
    with pytest.raises(HandshakeRefused) as raw:
        await RawViewer.connect(server.port, path.replace("{e}", event.id), origin="null")
    assert raw.value.status == 403

    for origin in (ALLOWED, ALLOWED + "/", server.url):  # listed, and the server's own
        ws = await server.session.ws_connect(url, headers={"Origin": origin})
        await ws.close()
    ws = await server.session.ws_connect(url)  # no Origin: a native client, not a browser
    await ws.close()
