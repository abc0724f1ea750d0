"""Opening the store: explicit client settings and a check of what "acknowledged" can mean.

Three clients share one server:
- ``reader``: reads and idempotent writes; retried on a dropped connection.
- ``writer``: application batches; never retried by redis-py, because WAITAOF must run on the
  connection that made the writes (liveevent retries whole batches itself, safely: see
  ``scripts.APPLY``).
- ``tail``: blocking XREADs for the fan-out; a longer socket timeout than the block.

A write through ``reader`` may run twice (the store ran it, the reply was lost, redis-py sent
it again), so each one is either naturally idempotent or carries an attempt id (``new_attempt``)
that its script recognises: see ``scripts`` and the table in ``docs/reliability.md``.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import secrets
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from liveevent.errors import InvalidInput, StoreUnavailable
from liveevent.store.keys import Keys

if TYPE_CHECKING:
    from liveevent.store.cluster import NodeBatches

log = logging.getLogger(__name__)
T = TypeVar("T")

TAIL_BLOCK_MS = 5000

# How long a write attempt's once key lasts (seconds), at least. redis-py's last retry of a
# command comes within a few timeouts of the first try (3 tries, each at most a connect and a
# read timeout, 0.5 s of backoff between); this is far beyond that, and short enough that the
# keys of a busy hour (a few thousand pushes and status changes) are gone soon after.
ONCE_TTL_S = 300


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Around store calls: a ``redis.RedisError`` leaves as ``StoreUnavailable`` (``from`` it).

    The one place the store's foreign errors are translated (STYLE point 19). Code that must
    tell one Redis reply error from another (``ResponseError`` for NOSCRIPT or OOM, say) catches
    it inside the block, before it gets here. Raises ``StoreUnavailable``; any other error
    passes through unchanged.
    """
    try:
        yield
    except RedisError as exc:
        raise StoreUnavailable(f"the store did not answer: {type(exc).__name__}") from exc


async def store_call(awaitable: Awaitable[T]) -> T:
    """Await one store call; raises ``StoreUnavailable`` as ``store_errors`` does."""
    with store_errors():
        return await awaitable


def new_attempt() -> str:
    """A fresh id for one write attempt: 16 hex characters (64 random bits).

    Unique across processes (``secrets``).

    Raises nothing.
    """
    return secrets.token_hex(8)


class Durability(enum.StrEnum):
    """What an acknowledged write guarantees on this server, as ``open_store`` found it.

    The values are the strings logged and shown in ``/healthz``; see ``docs/reliability.md``.
    ``Durability(text)`` raises ``ValueError`` for any other text.
    """

    WAITAOF = "waitaof"  # the server confirms the fsync of each batch (Redis 7.2+, Valkey)
    FSYNC_ALWAYS = "fsync-always"  # no WAITAOF, but appendfsync always: reply after fsync
    NONE = "none"  # a reply may come before the write is on disk


@dataclass(slots=True)
class StoreConnection:
    """The three clients of one open store (module docstring), its key names and guarantees.

    Built only by ``open_store`` (or ``open_cluster_store``); ``close`` it once. ``server`` is the
    server's name and version as it reported them, ``timeout_s`` the socket timeout in seconds,
    ``waitaof_timeout_ms`` the WAITAOF wait in milliseconds. Its methods do not translate
    ``redis.RedisError``: callers wrap store calls in ``store_errors``.
    Constructing it checks nothing and raises nothing.
    """

    reader: aioredis.Redis
    writer: aioredis.Redis
    tail: aioredis.Redis
    keys: Keys
    durability: Durability
    server: str
    timeout_s: float
    waitaof_timeout_ms: int
    # On a Redis Cluster: runs application batches master by master (store/cluster.py).
    batches: NodeBatches | None = None

    @property
    def once_ttl_s(self) -> int:
        """Seconds a write attempt's once key lives: ``ONCE_TTL_S``, or more on slow stores.

        At least ``ONCE_TTL_S`` (300), else ten socket timeouts; raises nothing.
        """
        return max(ONCE_TTL_S, int(10 * self.timeout_s))

    @property
    def is_cluster(self) -> bool:
        """True when the store is a Redis Cluster (``batches`` set); raises nothing."""
        return self.batches is not None

    def client_for(self, key: str) -> aioredis.Redis:
        """A plain client on the server holding ``key``: the store, or its cluster master.

        On a cluster, raises ``StoreUnavailable`` when no master serves ``key``'s slot.
        """
        if self.batches is not None:
            return self.batches.owner(key)
        return self.reader

    async def interrupt_tails(self) -> None:
        """End every blocking XREAD now (shutdown) rather than when its block times out.

        Closes the tail client's connections, so each pending XREAD fails at once. Returns None;
        raises nothing of its own (a ``redis.RedisError`` of the close is not translated).
        """
        if self.batches is not None:  # a cluster client has a pool per node
            for node in self.tail.get_nodes():
                await node.disconnect()
        else:
            await self.tail.connection_pool.disconnect()

    async def close(self) -> None:
        """Close the cluster batches (if any) and the three clients with their pools.

        Returns None; call it once, at shutdown. Raises nothing of its own; a
        ``redis.RedisError`` of a client's close is not translated.
        """
        if self.batches is not None:
            await self.batches.close()
        for client in (self.reader, self.writer, self.tail):
            await client.aclose()


READER_CONNECTIONS = 64
TAIL_CONNECTIONS = 1000


def _client(url: str, *, max_connections: int, **options: Any) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=options.get("socket_connect_timeout"),
        **options,
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes its pool


async def open_store(
    url: str, *, key_prefix: str, timeout_s: float, waitaof_timeout_ms: int
) -> StoreConnection:
    """Connect to one server, check persistence and eviction settings, say what they guarantee.

    Callers open the store through ``store.opening`` (which sends a ``redis+cluster://`` URL to
    ``store.cluster``). Raises ``InvalidInput`` naming ``redis_url`` for a URL redis-py cannot
    use, and ``StoreUnavailable`` if the store does not answer, or if its eviction policy could
    silently drop applications.
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        # redis-py would raise a bare ValueError from deep in its pool.
        raise InvalidInput(
            "the store URL must begin with redis://, rediss://, unix:// or redis+cluster://",
            fields={"redis_url": "scheme"},
        )
    common = {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "health_check_interval": 30,
    }
    # Bounded pools that make a caller wait for a free connection (up to ``timeout_s``) rather
    # than fail at once: a burst of viewers connecting must queue, not get 503s.
    reader = _client(
        url,
        max_connections=READER_CONNECTIONS,
        # A dropped connection is retried; a timeout is not: a hung store would otherwise
        # make every read wait three times ``timeout_s`` before the caller hears anything.
        retry=Retry(
            ExponentialBackoff(cap=0.5, base=0.05),
            retries=2,
            supported_errors=(RedisConnectionError,),
        ),
        retry_on_error=[RedisConnectionError],
        **common,
    )
    writer = _client(url, max_connections=8, retry=Retry(NoBackoff(), 0), **common)
    tail = _client(
        url,
        # One blocking XREAD per event with viewers on this node.
        max_connections=TAIL_CONNECTIONS,
        socket_timeout=timeout_s + TAIL_BLOCK_MS / 1000,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        info = await reader.info("server")
        version = info.get("valkey_version") or info.get("redis_version")
        server = f"{info.get('server_name', 'redis')} {version}"
        durability = await probe_durability(writer)
        await check_eviction(reader)
    except RedisError as exc:
        for client in (reader, writer, tail):
            await client.aclose()
        raise StoreUnavailable(f"the store at the configured URL does not answer: {exc}") from exc
    except StoreUnavailable:
        for client in (reader, writer, tail):
            await client.aclose()
        raise
    return StoreConnection(
        reader=reader,
        writer=writer,
        tail=tail,
        keys=Keys(key_prefix),
        durability=durability,
        server=server,
        timeout_s=timeout_s,
        waitaof_timeout_ms=waitaof_timeout_ms,
    )


async def _config_get(client: aioredis.Redis, name: str) -> str | None:
    try:
        reply = await client.config_get(name)
    except ResponseError:  # CONFIG is often disabled on managed Redis
        return None
    value = reply.get(name) if reply else None
    if isinstance(value, bytes):
        value = value.decode()
    return value


async def probe_durability(client: aioredis.Redis) -> Durability:
    """What an acknowledged write means on this server (one server, or one cluster master).

    Reads ``appendonly``/``appendfsync`` (unknown where CONFIG is disabled) and tries
    ``WAITAOF 0 0 0`` (Redis 7.2+, Valkey); logs a warning when a write could be lost. Raises
    ``redis.RedisError`` if the server does not answer (the opener translates it).
    """
    appendonly = await _config_get(client, "appendonly")
    appendfsync = await _config_get(client, "appendfsync")
    try:
        await client.execute_command("WAITAOF", 0, 0, 0)
        has_waitaof = True
    except ResponseError:
        has_waitaof = False
    if has_waitaof and appendonly == "yes":
        durability = Durability.WAITAOF
    elif appendonly == "yes" and appendfsync == "always":
        durability = Durability.FSYNC_ALWAYS
    else:
        durability = Durability.NONE
    if durability is Durability.NONE:
        log.warning(
            "STORE DURABILITY: the store has appendonly=%s appendfsync=%s and %s WAITAOF. "
            "An application acknowledged to a viewer can be LOST if the store crashes. "
            "Use Redis 7.2+/Valkey with appendonly yes, or appendfsync always.",
            appendonly or "unknown",
            appendfsync or "unknown",
            "supports" if has_waitaof else "does not support",
        )
    else:
        log.info("store durability: %s (acknowledged applications are on disk)", durability)
    return durability


async def check_eviction(client: aioredis.Redis) -> None:
    """Raises ``StoreUnavailable`` if the server's ``maxmemory-policy`` could evict keys
    (``allkeys-*``); an unreadable policy (CONFIG disabled) passes."""
    policy = await _config_get(client, "maxmemory-policy")
    if policy is not None and policy.startswith("allkeys-"):
        raise StoreUnavailable(
            f"the store's maxmemory-policy is {policy}: it could evict applications. "
            "Set maxmemory-policy noeviction."
        )
