"""The application factory: the only place (with the CLI) that wires objects together."""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from liveevent.config import Settings
from liveevent.office.sheet_process import SheetReader, sheet_limits
from liveevent.store.applications import ApplicationLog
from liveevent.store.attribution import AttributionStore
from liveevent.store.events import EventStore
from liveevent.store.ingest import ApplicationIngest
from liveevent.store.opening import open_configured_store
from liveevent.store.questions import QuestionStore
from liveevent.store.venues import VenueStore
from liveevent.web import (
    admin_page,
    api,
    attribution,
    budget,
    employers,
    exports,
    followups,
    hosts,
    openapi,
    outcomes,
    pages,
    pages_api,
    privacy,
    questions,
    replays,
    reports,
    signups,
    status_notices,
    venues,
)
from liveevent.web.appkeys import (
    APPLICATIONS,
    ATTRIBUTION,
    EVENTS,
    FLOODS,
    HUB,
    INGEST,
    LIMITS,
    METRICS,
    QUESTIONS,
    SETTINGS,
    SHEETS,
    STATS_FEED,
    STORE,
    VENUES,
    WAITLIST,
    WEBSOCKETS,
)
from liveevent.web.gcpolicy import GcPolicy, gc_running
from liveevent.web.host import INTERVAL_S, host_socket
from liveevent.web.hub import Hub
from liveevent.web.limits import Limits
from liveevent.web.metrics import METRICS_CONTENT_TYPE, Metrics
from liveevent.web.middleware import browser_guard, errors_middleware, security_headers
from liveevent.web.stats_feed import StatsFeed
from liveevent.web.viewers import viewer_socket
from liveevent.web.waitlist import WaitlistBook

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> web.Application:
    """Build the aiohttp application; the store is opened (or started) on startup.

    Nothing is opened here: ``settings`` (already checked by ``config``) are read, the routes,
    middlewares and cleanup contexts wired. Raises ``ValueError`` if the static folder is
    missing (``pages.add_routes``); a store that cannot be opened fails the app's startup
    with ``StoreUnavailable``.
    """
    app = web.Application(
        middlewares=[errors_middleware, browser_guard],
        # Uploads (job sheets) may be large; JSON bodies are limited per route in read_json.
        client_max_size=settings.max_upload_bytes,
    )
    app[SETTINGS] = settings
    app[LIMITS] = Limits(settings)
    app[SHEETS] = SheetReader(sheet_limits(settings))
    app[FLOODS] = budget.FloodCooldown(settings.flood_cooldown_s)
    app[WEBSOCKETS] = weakref.WeakSet()
    app[STATS_FEED] = StatsFeed(
        lambda event_id: api.event_stats(app, event_id), interval_s=INTERVAL_S
    )
    # The route of every HTTP apply is added first: aiohttp tries the routes under one prefix
    # in the order they were added, a regular expression each, and /api/events has 21.
    app.router.add_post(
        "/api/events/{event_id}/applications", api.create_application, name="create_application"
    )
    # Every route is added here, explicitly: no module registers routes as a side effect of
    # being imported. A new web module exposes its own table (or add_routes) and is listed here.
    for table in (
        api.routes,
        outcomes.routes,
        privacy.routes,
        openapi.routes,
        pages_api.routes,
        hosts.routes,
        replays.routes,
        employers.routes,
        venues.routes,
        followups.routes,
        status_notices.routes,
        reports.routes,
        attribution.routes,
        signups.routes,
        admin_page.routes,
        questions.routes,
    ):
        app.router.add_routes(table)
    exports.add_routes(app.router)
    app.router.add_get("/ws/events/{event_id}", viewer_socket, name="viewer_socket")
    app.router.add_get("/ws/host/{event_id}", host_socket, name="host_socket")
    pages.add_routes(app)
    app.router.add_get("/metrics", _metrics, name="metrics")
    app.cleanup_ctx.append(_store_ctx)
    app.cleanup_ctx.append(_gc_ctx)  # after the store: it reads the metrics' push counter
    app.cleanup_ctx.append(privacy.retention_ctx)  # after the store: it needs it
    app.cleanup_ctx.append(replays.replays_ctx)  # after the store: it needs it
    app.cleanup_ctx.append(signups.signups_ctx)  # after the store: sign-ups, the notifier
    app.cleanup_ctx.append(status_notices.status_notices_ctx)  # after the outbox (issue 17.4)
    app.on_shutdown.append(_close_websockets)
    app.on_shutdown.append(_stop_stats_feed)  # after the sockets: their tickers end with them
    app.on_response_prepare.append(security_headers)
    return app


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with open_configured_store(settings) as conn:
        app[STORE] = conn
        app[EVENTS] = EventStore(conn)
        app[VENUES] = VenueStore(conn)
        app[WAITLIST] = WaitlistBook(app[EVENTS])
        app[QUESTIONS] = QuestionStore(conn)
        app[APPLICATIONS] = ApplicationLog(
            conn,
            apply_rate_per_ip=settings.apply_rate_per_ip,
            rate_window_s=settings.rate_window_s,
        )
        app[ATTRIBUTION] = AttributionStore(app[EVENTS], app[APPLICATIONS])
        app[INGEST] = ApplicationIngest(
            app[APPLICATIONS],
            max_batch=settings.max_apply_batch,
            answer_within_s=settings.store_timeout_s,
        )
        app[HUB] = Hub(
            app[EVENTS],
            write_buffer_limit=settings.write_buffer_limit_bytes,
            node_id=settings.node_id or secrets.token_hex(4),
            viewers_interval_s=settings.viewers_interval_s,
            node_ttl_s=settings.node_ttl_s,
            ping_interval_s=settings.ping_interval_s,
        )
        app[METRICS] = Metrics(
            hub=app[HUB], ingest=app[INGEST], applications=app[APPLICATIONS], conn=conn
        )
        app[INGEST].start()
        app[HUB].start()
        try:
            yield
        finally:
            await app[INGEST].stop()  # in-flight applies finish before the store goes
            await app[HUB].stop()


async def _gc_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, metrics = app[SETTINGS], app[METRICS]
    policy = GcPolicy(
        fanouts=lambda: metrics.fanouts,
        quiet_s=settings.gc_quiet_s,
        full_interval_s=settings.gc_full_interval_s,
        full_max_wait_s=settings.gc_full_max_wait_s,
    )
    async with gc_running(policy, metrics.gc_pauses):
        yield


async def _metrics(request: web.Request) -> web.Response:
    """Prometheus text format; keep it off the public address (deploy/nginx.conf does)."""
    return web.Response(
        body=request.app[METRICS].render(), headers={"Content-Type": METRICS_CONTENT_TYPE}
    )


async def _stop_stats_feed(app: web.Application) -> None:
    await app[STATS_FEED].close()


async def _close_websockets(app: web.Application) -> None:
    """Going away (1001): viewers reconnect, to another node if there is one.

    By now the listening socket is closed (aiohttp stops the sites first), so new viewers
    are refused at connect and go elsewhere; ``draining`` turns away any upgrade that was
    already under way, and makes /healthz answer 503 for a balancer that checks it.
    """
    if HUB in app:
        app[HUB].draining = True
    registry = app[WEBSOCKETS]
    sockets = [ws for ws in registry]
    if not sockets:
        return
    try:
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")
                    for ws in sockets
                ),
                return_exceptions=True,
            ),
            timeout=5,
        )
    except TimeoutError:  # each close's own error is gathered and dropped: it is going away
        log.warning("%d websockets did not close within 5 s of shutdown", len(sockets))
