"""The one way in to the store: from the settings to an open ``StoreConnection``.

The server, every CLI command and the tests open the store here, so a setting that changes how
liveevent connects is read in this module and nowhere else:

1. ``redis_cluster_nodes`` (seed ``host:port`` list): a Redis Cluster (``store/cluster.py``);
2. else ``redis_url``: ``redis://``, ``rediss://`` or ``unix://`` is one server,
   ``redis+cluster://`` a cluster;
3. else the embedded Valkey of ``data_dir`` (``store/embedded.py``), started, or re-attached to
   when a server already runs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from liveevent.config import Settings
from liveevent.store.cluster import cluster_url, is_cluster_url, open_cluster_store
from liveevent.store.connect import StoreConnection, open_store
from liveevent.store.embedded import EmbeddedStore


def uses_embedded(settings: Settings) -> bool:
    """True if the settings name no store, so the embedded one of ``data_dir`` is used (a
    supervisor starts it once for all its workers, then passes its URL on). Raises nothing."""
    return settings.redis_url is None and not settings.redis_cluster_nodes


async def connect(
    url: str, *, key_prefix: str, timeout_s: float, waitaof_timeout_ms: int
) -> StoreConnection:
    """Open the store at ``url``: a cluster for ``redis+cluster://``, else one server.

    ``timeout_s`` bounds each command (seconds); ``waitaof_timeout_ms`` each WAITAOF. Raises
    ``StoreUnavailable`` if the store does not answer or could evict applications, and
    ``InvalidInput`` (naming ``redis_url``) for a cluster URL that cannot be parsed.
    """
    opener = open_cluster_store if is_cluster_url(url) else open_store
    return await opener(
        url, key_prefix=key_prefix, timeout_s=timeout_s, waitaof_timeout_ms=waitaof_timeout_ms
    )


@contextlib.asynccontextmanager
async def open_configured_store(
    settings: Settings, *, stop_reattached: bool = True
) -> AsyncIterator[StoreConnection]:
    """The store the settings name, open for the ``async with`` block, closed after it.

    An embedded store started here is stopped at the end. One that was already running
    (re-attached to) is stopped too when ``stop_reattached`` (the server: it was left by an app
    that died, and this one now owns it), and left running otherwise (a CLI command beside a
    running server). Raises ``StoreUnavailable`` as ``connect`` does, or if the embedded store
    does not start.
    """
    embedded: EmbeddedStore | None = None
    if settings.redis_cluster_nodes:
        url = cluster_url(settings.redis_cluster_nodes)
    elif settings.redis_url is not None:
        url = settings.redis_url.reveal()
    else:  # uses_embedded(settings)
        embedded = EmbeddedStore(settings.data_dir)
        url = await embedded.start()
    stop_embedded = embedded is not None and (stop_reattached or embedded.started_here)
    try:
        conn = await connect(
            url,
            key_prefix=settings.key_prefix,
            timeout_s=settings.store_timeout_s,
            waitaof_timeout_ms=settings.waitaof_timeout_ms,
        )
        try:
            yield conn
        finally:
            await conn.close()
    finally:
        if embedded is not None and stop_embedded:
            await embedded.stop()
