"""Redis Cluster: opening the store on a cluster, and running application batches node by node.

Selected by a store URL of the form ``redis+cluster://[user:password@]host:port,host:port``
(any reachable master is enough as a seed; the rest of the cluster is discovered).

Theory of operation. Reads, timeline scripts and the blocking tails go through redis-py's
``RedisCluster``: every key of one event carries the hash tag ``{event_id}``, so each command
and script touches a single slot and the client routes it (following MOVED and ASK itself).

Application batches cannot go that way. An application is acknowledged only once WAITAOF has
confirmed it on disk, and WAITAOF answers for the writes of *its own connection*. So a batch is
split by the master that owns each item's slot, and each part is sent as one pipeline
``EVALSHA ... EVALSHA WAITAOF`` on a plain connection to that master (``NodeBatches``); the
parts go out concurrently. An item answered with a redirection is sent again in the next round:
MOVED (the slot has a new owner: note it in the slot map), ASK (the slot is migrating and this
event's keys are already on the target: send ``ASKING`` first) or TRYAGAIN (the event's keys are
split between the two masters for a moment: wait a little). Re-sending is safe, as it is for
the single store: the APPLY script recognises its own earlier attempt (``scripts.APPLY``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import AskError, MovedError, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from liveevent.errors import InvalidInput, StoreUnavailable
from liveevent.store.connect import (
    TAIL_BLOCK_MS,
    Durability,
    StoreConnection,
    check_eviction,
    probe_durability,
)
from liveevent.store.keys import Keys

log = logging.getLogger(__name__)

SCHEME = "redis+cluster://"
# How many rounds of redirections one batch may take, and the pause when a slot is moving.
# A slot migration holds an event's applications back for as long as its keys are split
# between two masters (TRYAGAIN): seconds at most for one event's keys.
MAX_ROUNDS = 60
TRYAGAIN_PAUSE_S = 0.05


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    """Seed nodes and credentials parsed from a ``redis+cluster://`` URL.

    ``seeds`` are ``(host, port)`` pairs (IPv6 hosts without brackets); the user name and
    password are percent-decoded (RFC 3986), None when absent.
    Build it with ``parse``, which raises ``InvalidInput``; the constructor checks nothing.
    """

    seeds: tuple[tuple[str, int], ...]
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> ClusterAddress:
        """Raises ``InvalidInput`` naming ``redis_url`` if the URL has no usable seed."""
        if not url.startswith(SCHEME):
            raise InvalidInput("not a redis+cluster:// URL", fields={"redis_url": "scheme"})
        rest = url[len(SCHEME) :].split("/", 1)[0]
        userinfo, _, hosts = rest.rpartition("@")
        username = password = None
        if userinfo:
            user, sep, secret = userinfo.partition(":")
            username = unquote(user) or None
            password = unquote(secret) if sep else None
        seeds: list[tuple[str, int]] = []
        for item in hosts.split(","):
            host, _, port = item.strip().rpartition(":")
            if not host or not port.isdigit():
                raise InvalidInput(
                    "each cluster seed must be host:port", fields={"redis_url": "host:port"}
                )
            seeds.append((host.strip("[]"), int(port)))
        return cls(tuple(seeds), username, password)


def is_cluster_url(url: str) -> bool:
    """Whether ``url`` names a cluster (``redis+cluster://``). Raises nothing."""
    return url.startswith(SCHEME)


def cluster_url(nodes: Sequence[str]) -> str:
    """The store URL for a list of ``host:port`` seeds (the ``redis_cluster_nodes`` setting).

    The seeds are not checked here (``ClusterAddress.parse`` does); raises nothing.
    """
    return SCHEME + ",".join(n.strip() for n in nodes)


def open_cluster_clients(
    address: ClusterAddress, *, timeout_s: float, tail_block_ms: int
) -> tuple[RedisCluster, RedisCluster, RedisCluster]:
    """(reader, writer, tail) cluster clients with the same policies as for a single store.

    ``timeout_s`` is the socket timeout in seconds; the tail's is longer by ``tail_block_ms``.
    The clients are not connected yet (``initialize()`` them); nothing is raised here.
    """
    nodes = [ClusterNode(host, port) for host, port in address.seeds]
    auth = {"username": address.username, "password": address.password}
    reader = RedisCluster(
        startup_nodes=nodes,
        retry=Retry(
            ExponentialBackoff(cap=0.5, base=0.05),
            retries=2,
            supported_errors=(RedisConnectionError,),  # a timeout is not retried (connect.py)
        ),
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        # Per master. redis-py's cluster pool raises past this instead of waiting, and a
        # burst of joining viewers reads concurrently: generous, as for the single store.
        max_connections=1_000,
        **auth,
    )
    writer = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.seeds],
        retry=Retry(NoBackoff(), 0),
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        **auth,
    )
    tail = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in address.seeds],
        retry=Retry(NoBackoff(), 0),
        socket_timeout=timeout_s + tail_block_ms / 1000,
        socket_connect_timeout=timeout_s,
        # One blocked connection per event with viewers on this node, per master.
        max_connections=10_000,
        **auth,
    )
    return reader, writer, tail


class NodeBatches:
    """Runs batches of one script on the masters that own each call's keys, WAITAOF per master.

    Keeps one plain client per master (``client``); ``redirects`` counts the MOVED, ASK and
    TRYAGAIN replies followed (Redis Cluster specification). ``close`` it once.
    Constructing it does no I/O and raises nothing.
    """

    def __init__(self, cluster: RedisCluster, address: ClusterAddress, *, timeout_s: float):
        self.cluster = cluster
        self._address = address
        self._timeout_s = timeout_s
        self._clients: dict[tuple[str, int], aioredis.Redis] = {}
        self.redirects = 0  # MOVED/ASK/TRYAGAIN replies followed (for the metrics)

    def client(self, host: str, port: int) -> aioredis.Redis:
        """A plain client for one master: WAITAOF must share the writes' connection.

        Made on first use and kept; it connects lazily, so nothing is raised here.
        """
        key = (host, port)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = aioredis.Redis(
                host=host,
                port=port,
                username=self._address.username,
                password=self._address.password,
                socket_timeout=self._timeout_s,
                socket_connect_timeout=self._timeout_s,
                # Never retried by redis-py: a whole part is re-sent by ``run`` instead.
                retry=Retry(NoBackoff(), 0),
            )
        return client

    def owner(self, key: str) -> aioredis.Redis:
        """A plain client for the master that owns ``key``'s slot now.

        From the client's slot map (no round trip). Raises ``StoreUnavailable`` when no
        master serves the slot.
        """
        return self.client(*self._owner(key))

    def masters(self) -> list[aioredis.Redis]:
        """A plain client per master in the slot map, as now known. Raises nothing."""
        return [self.client(str(n.host), int(n.port)) for n in self.cluster.get_primaries()]

    async def close(self) -> None:
        """Close every per-master client; returns None and raises nothing (errors of the
        close are ignored: the clients are dropped either way)."""
        for client in self._clients.values():
            with contextlib.suppress(RedisError, OSError):
                await client.aclose()
        self._clients.clear()

    async def run(
        self,
        script: str,
        calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
        *,
        waitaof_timeout_ms: int | None,
    ) -> list[Any]:
        """One reply per ``(keys, args)`` call, in order: the script's reply or an exception.

        With ``waitaof_timeout_ms``, a call's reply is returned only if its master confirmed
        the fsync; otherwise it is a ``StoreUnavailable``. Calls still redirected after
        ``MAX_ROUNDS`` get ``StoreUnavailable`` too: nothing is acknowledged that is not stored.
        Raises ``StoreUnavailable`` when no master serves a call's slot, and lets through a
        ``redis.RedisError`` of a part other than a connection error or timeout (those parts
        are re-sent after the topology is read again).
        """
        results: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        asking: dict[int, tuple[str, int]] = {}
        for _ in range(MAX_ROUNDS):
            groups: dict[tuple[str, int], list[int]] = defaultdict(list)
            for index in todo:
                groups[asking.get(index) or self._owner(calls[index][0][0])].append(index)
            parts = await asyncio.gather(
                *(
                    self._send(address, script, calls, indexes, asking, waitaof_timeout_ms)
                    for address, indexes in groups.items()
                ),
                return_exceptions=True,
            )
            todo, refresh, pause = [], False, False
            for (_address, indexes), replies in zip(groups.items(), parts, strict=True):
                if isinstance(replies, BaseException):
                    # The master went away (failover?): re-send this part to the new owner.
                    if not isinstance(replies, (RedisConnectionError, RedisTimeoutError)):
                        raise replies
                    refresh = True
                    todo.extend(indexes)
                    for index in indexes:
                        asking.pop(index, None)
                    continue
                for index, reply in zip(indexes, replies, strict=True):
                    asking.pop(index, None)
                    if isinstance(reply, MovedError):
                        # The slot has a new owner: note it in the client's slot map (what
                        # redis-py itself does on MOVED; ``initialize()`` would not re-read).
                        await self.cluster.nodes_manager.move_slot(reply)
                    elif isinstance(reply, AskError):
                        asking[index] = (str(reply.host), int(reply.port))
                    elif isinstance(reply, TryAgainError):
                        pause = True
                    else:
                        results[index] = reply
                        continue
                    self.redirects += 1
                    todo.append(index)
            if not todo:
                return results
            if refresh:  # a master did not answer: re-read the whole topology (failover?)
                with contextlib.suppress(RedisError, OSError):
                    await self.cluster.nodes_manager.initialize()
            if pause or refresh:
                await asyncio.sleep(TRYAGAIN_PAUSE_S)
        for index in todo:
            results[index] = StoreUnavailable("the event's data is moving between stores")
        return results

    def _owner(self, key: str) -> tuple[str, int]:
        node = self.cluster.get_node_from_key(key)
        if node is None:
            raise StoreUnavailable("no master serves this event's slot")
        return str(node.host), int(node.port)

    async def _send(
        self,
        address: tuple[str, int],
        script: str,
        calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
        indexes: list[int],
        asking: dict[int, tuple[str, int]],
        waitaof_timeout_ms: int | None,
    ) -> list[Any]:
        client = self.client(*address)
        runner = AsyncScript(client, script)
        slots: list[int] = []  # where each call's reply is among the pipeline's replies
        async with client.pipeline(transaction=False) as pipe:
            for index in indexes:
                if index in asking:
                    pipe.execute_command("ASKING")
                keys, args = calls[index]
                slots.append(len(pipe.command_stack))
                await runner(keys=keys, args=args, client=pipe)
            if waitaof_timeout_ms is not None:
                pipe.execute_command("WAITAOF", 1, 0, waitaof_timeout_ms)
            replies = await pipe.execute(raise_on_error=False)
        replies_for_calls = [replies[slot] for slot in slots]
        if waitaof_timeout_ms is not None:
            fsynced = replies[-1]
            if isinstance(fsynced, Exception) or int(fsynced[0]) < 1:
                error = StoreUnavailable("the store did not confirm the write reached disk")
                # Redirected calls wrote nothing here: they keep their redirection.
                return [
                    r if isinstance(r, (MovedError, AskError, TryAgainError)) else error
                    for r in replies_for_calls
                ]
        return replies_for_calls


async def open_cluster_store(
    url: str, *, key_prefix: str, timeout_s: float, waitaof_timeout_ms: int
) -> StoreConnection:
    """Connect to a cluster and check every master's persistence and eviction settings.

    The weakest master decides what "acknowledged" means. Raises ``StoreUnavailable`` if the
    cluster does not answer or a master could evict applications.
    """
    address = ClusterAddress.parse(url)
    reader, writer, tail = open_cluster_clients(
        address, timeout_s=timeout_s, tail_block_ms=TAIL_BLOCK_MS
    )
    batches = NodeBatches(writer, address, timeout_s=timeout_s)
    try:
        for client in (reader, writer, tail):
            await client.initialize()
        masters = batches.masters()
        info = await masters[0].info("server")
        version = info.get("valkey_version") or info.get("redis_version")
        server = f"{info.get('server_name', 'redis')} {version} cluster of {len(masters)}"
        levels = [await probe_durability(master) for master in masters]
        for master in masters:
            await check_eviction(master)
    except (RedisError, StoreUnavailable, IndexError) as exc:
        await batches.close()
        for client in (reader, writer, tail):
            await client.aclose()
        if isinstance(exc, StoreUnavailable):
            raise
        raise StoreUnavailable(f"the cluster at the configured URL does not answer: {exc}") from exc
    return StoreConnection(
        reader=reader,
        writer=writer,
        tail=tail,
        keys=Keys(key_prefix),
        durability=min(levels, key=_STRENGTH.index),
        server=server,
        timeout_s=timeout_s,
        waitaof_timeout_ms=waitaof_timeout_ms,
        batches=batches,
    )


_STRENGTH = [Durability.NONE, Durability.FSYNC_ALWAYS, Durability.WAITAOF]
