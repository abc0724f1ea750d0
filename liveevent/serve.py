"""Running the server (and the demo) in this process."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import signal
import socket
import time

from aiohttp import web

from liveevent.config import Settings
from liveevent.demo import demo_links, link_lines, seed_demo
from liveevent.errors import LiveEventError
from liveevent.web.app import create_app
from liveevent.web.proxies import trusted_networks
from liveevent.web.slowclients import GuardedSite, PendingConnections

log = logging.getLogger(__name__)


def run_server(settings: Settings, *, demo: bool = False) -> int:
    """Serve until SIGTERM/SIGINT: in this process, or as ``settings.workers`` processes."""
    if settings.workers > 1 and not demo:  # the demo seeds its event in-process: one worker
        from liveevent.workers import run_workers

        return run_workers(settings)
    return run_one(settings, demo=demo)


def run_one(settings: Settings, *, demo: bool = False) -> int:
    """Serve in this process (a worker binds with SO_REUSEPORT when there are several)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is optional on other platforms
        return asyncio.run(_serve(settings, demo=demo))
    code: int = uvloop.run(_serve(settings, demo=demo))
    return code


def make_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner of ``app``: idle keep-alive connections close after ``idle_timeout_s``."""
    return web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        # In-flight requests get this long to finish on shutdown (applies finish well within).
        shutdown_timeout=10.0,
        # aiohttp's default is an hour: 20 silent sockets from one address held that long.
        keepalive_timeout=settings.idle_timeout_s,
        # After an answer sent before the body was read (too large, too slow), aiohttp reads
        # and drops the rest for this long so the client sees the answer, then closes. Its
        # default, 10 s, is a gift to a client that trickles.
        lingering_time=2.0,
    )


async def start_site(
    runner: web.AppRunner, settings: Settings, *, port: int | None = None
) -> GuardedSite:
    """Listen on ``settings.host``/``port`` with the slow-client guard (web/slowclients.py)."""
    guard = PendingConnections(
        header_timeout_s=settings.header_timeout_s,
        max_pending_per_ip=settings.max_pending_per_ip,
        trusted=trusted_networks(settings.trusted_proxies),
    )
    site = GuardedSite(
        runner,
        settings.host,
        settings.port if port is None else port,
        guard=guard,
        reuse_port=settings.workers > 1,
        backlog=settings.listen_backlog,
    )
    await site.start()
    return site


def listen_failure(host: str, port: int, exc: OSError) -> str:
    """The message for a listening socket that could not be opened on ``host``:``port``."""
    if exc.errno == errno.EADDRINUSE:
        why = f"port {port} is already in use (another program, or another liveevent, has it)"
    else:
        why = exc.strerror or str(exc)
    return (
        f"cannot listen on {host}:{port}: {why}; "
        "choose another port with --port or LIVEEVENT_PORT (or another --host)"
    )


def link_host(host: str) -> str:
    """The address to print in links for a server listening on ``host``.

    A wildcard (``0.0.0.0``, ``::``) is no address a phone can open, and the pages refuse to
    build QR codes from it (``web.pages.check_host``): this machine's outward address is used
    instead, the one its default route leaves from (found without sending anything), or
    ``127.0.0.1`` when there is no route.
    """
    if host not in ("", "0.0.0.0", "::"):
        return host
    # IPv4 for "::" too: Linux listens on both there, and phones on a LAN reach IPv4 first.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("192.0.2.1", 9))  # a UDP connect only picks the route: nothing is sent
            return str(udp.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host  # a name


def check_port(settings: Settings) -> None:
    """Raise `LiveEventError` (naming the port and how to choose another) if it is taken.

    Checked before the app starts: starting means re-attaching to the data dir's embedded store,
    and a failed start must not stop the store that the liveevent already on that port uses.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            settings.host or None, settings.port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            # As aiohttp binds (SO_REUSEADDR; SO_REUSEPORT when workers share the port), but
            # never listening: a listening probe could take a sibling worker's connection.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if settings.workers > 1:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            probe.bind(address)
    except OSError as exc:
        raise LiveEventError(listen_failure(settings.host, settings.port, exc)) from exc


async def _serve(settings: Settings, *, demo: bool) -> int:
    # The first thing a new user meets when 8080 is taken: say so and how to choose another
    # port, not a traceback.
    check_port(settings)
    app = create_app(settings)
    runner = make_runner(app, settings)
    await runner.setup()
    try:
        await start_site(runner, settings)
    except OSError as exc:  # taken between the check and now
        # No runner.cleanup(): it would stop the embedded store, which another liveevent on
        # this data dir may be using (a store left running is re-attached to on the next start).
        raise LiveEventError(listen_failure(settings.host, settings.port, exc)) from exc
    listening = f"http://{_url_host(settings.host)}:{settings.port}"
    base = settings.public_url or f"http://{_url_host(link_host(settings.host))}:{settings.port}"
    if not settings.public_url and not demo:
        # QR codes and calendar links are then built from the Host header, and refused
        # unless it is this machine's own address: behind nginx or a domain they fail.
        log.warning(
            "public_url is not set: QR codes and printed links work only when viewers "
            "reach this server at its own IP address. Set public_url (LIVEEVENT_PUBLIC_URL) "
            "to the address viewers use, e.g. https://fair.example.edu.cn"
        )
    # Where this process listens, and (behind a proxy) where viewers come in: only the first
    # is something to curl or to point nginx at.
    via = f" (viewers use {settings.public_url})" if settings.public_url else ""
    # The signal handlers first: whoever reads the line below may stop us at once, and a
    # SIGINT before them would be Python's default (a KeyboardInterrupt that uvloop's run
    # loop does not end on), leaving the server running.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"liveevent listening on {listening}{via}", flush=True)
    if demo:
        info = await seed_demo(app, settings)
        # Every link of the two-city fair (issue 16), once each: viewer pages, host consoles,
        # staff page, overlay, venues' check-in pages and stations, employers, the report.
        tokens = settings.data_dir / "demo.json"
        print(f"\nThe demo fair's links (tokens in {tokens}):\n", flush=True)
        for line in link_lines(demo_links(info, base)):
            print(line, flush=True)
    await stop.wait()
    started = time.monotonic()
    log.info("shutting down: closing viewer sockets, finishing applications")
    await runner.cleanup()
    log.info("stopped in %.1f s", time.monotonic() - started)
    return 0
