"""The Python floor peer: the least work an aiohttp server can do to fan a frame out.

On ``POST /push`` it builds the websocket frame bytes once and writes them straight to every
viewer's transport: no per-viewer encoding, no awaiting, no compression. That is the cost a
Python server cannot go below on this machine, so liveevent's push figures are read against it.

Shapes shared with the Node peer, so one load generator drives both:

- any other GET path upgrades to a viewer websocket;
- ``POST /push`` sends its JSON body as one text frame to every viewer and answers 200;
- ``GET /healthz`` answers 200.

It also acknowledges applies at once (a websocket ``{"type": "apply", "ref"}`` gets
``{"type": "applied", "ref"}``; ``POST /api/events/{id}/applications`` gets 201) so the apply
mode of the harness can be checked end to end without storage: a ceiling, not a peer.

Run: ``python -m benchmarks.peers.floor --port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import struct

from aiohttp import WSMsgType, web

# A viewer whose unsent bytes pass this is dropped rather than allowed to grow memory without
# bound; the same rule the issue asks of liveevent.
MAX_VIEWER_BUFFER_BYTES = 1 << 20

VIEWERS: web.AppKey[set[asyncio.Transport]] = web.AppKey("viewers")


def text_frame(payload: bytes) -> bytes:
    """Return one unmasked, final websocket text frame carrying ``payload`` (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


async def viewer(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    ws = web.WebSocketResponse(compress=False, max_msg_size=64 * 1024)
    await ws.prepare(request)
    viewers: set[asyncio.Transport] = request.app[VIEWERS]
    if transport is not None:
        viewers.add(transport)
    seq = 0
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                body = json.loads(msg.data)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("type") == "apply":
                seq += 1
                await ws.send_str(
                    json.dumps(
                        {
                            "type": "applied",
                            "ref": body.get("ref"),
                            "application_id": f"floor-{id(ws):x}-{seq}",
                            "duplicate": False,
                        }
                    )
                )
    finally:
        viewers.discard(transport)
    return ws


async def push(request: web.Request) -> web.Response:
    frame = text_frame(await request.read())
    sent = 0
    viewers: set[asyncio.Transport] = request.app[VIEWERS]
    for transport in list(viewers):
        if transport.is_closing():
            continue
        if transport.get_write_buffer_size() > MAX_VIEWER_BUFFER_BYTES:
            transport.abort()
            continue
        transport.write(frame)
        sent += 1
    return web.json_response({"viewers": sent})


async def apply(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"application_id": "floor"}, status=201)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"viewers": len(request.app[VIEWERS])})


def create_app() -> web.Application:
    app = web.Application()
    app[VIEWERS] = set()
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/push", push)
    app.router.add_post("/api/events/{event_id}/applications", apply)
    # Path-agnostic upgrade: the generator may use liveevent's /ws/events/{id} shape here too.
    app.router.add_get("/{tail:.*}", viewer)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop
    except ImportError:  # the floor still runs, only slower; the report names the loop
        uvloop = None
    web.run_app(
        create_app(),
        host=args.host,
        port=args.port,
        backlog=4096,
        print=None,
        loop=uvloop.new_event_loop() if uvloop else None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
