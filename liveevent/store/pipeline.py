"""A batch of commands in one write, one reply read back per command; a chain read ahead.

redis-py's pipeline packs every command in pure Python: for an APPLY call (nine keys, eight
arguments) that is ~100 us, most of what a batch costs at thousands of applications per second.
hiredis packs the same command in ~3 us. This module does only that: pack with hiredis, write
once on one connection, read the replies in order. One connection matters: WAITAOF at the end
of a batch waits for the writes made on the connection it runs on.

``chain`` reads pages (each request made from the previous reply) one request ahead on one
connection, so the store works on the next page while the caller works on this one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError

Command = Sequence[str | bytes | int | float]


async def send_batch(client: aioredis.Redis, commands: Sequence[Command]) -> list[Any]:
    """Each command's reply, in order; an error reply is returned as its ``ResponseError``.

    A connection or timeout error is raised (the connection is dropped, never reused half-read).
    """
    pool = client.connection_pool
    connection = await pool.get_connection()
    try:
        await connection.send_packed_command(
            b"".join(hiredis.pack_command(tuple(command)) for command in commands),
            check_health=False,
        )
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await connection.read_response(disable_decoding=True))
            except ResponseError as exc:  # the reply was read whole: the stream stays in step
                replies.append(exc)
    except BaseException:
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)
    return replies


async def send_script_batch(
    client: aioredis.Redis,
    script: Any,
    calls: Sequence[tuple[Sequence[str], Sequence[Any]]],
    *,
    tail: Sequence[Command] = (),
) -> list[Any]:
    """EVALSHA ``script`` (a redis-py ``Script``) once per (keys, args), then ``tail``.

    If the server does not know the script (it restarted), it is loaded and the whole batch is
    sent again: callers must make their calls safe to repeat (APPLY is, see its attempt nonce).
    Returns one reply per command (calls, then ``tail``), error replies as their
    ``ResponseError``; raises ``redis.RedisError`` on a connection error or timeout, as
    ``send_batch`` does (untranslated: the caller decides whether to retry).
    """
    commands: list[Command] = [
        ("EVALSHA", script.sha, len(keys), *keys, *args) for keys, args in calls
    ]
    commands.extend(tail)
    replies = await send_batch(client, commands)
    if calls and isinstance(replies[0], NoScriptError):
        await client.script_load(script.script)
        replies = await send_batch(client, commands)
    return replies


async def chain(
    client: aioredis.Redis, first: Command, after: Callable[[Any], Command | None]
) -> AsyncIterator[Any]:
    """The reply to ``first``, then to ``after(reply)`` for each reply, until it gives None.

    The next request is sent before a reply is handed over: the store answers it while the
    caller is busy. (A task reading ahead does not do that: it runs only when the caller next
    awaits, and a caller decoding a page awaits nothing.) An error reply is raised.
    """
    pool = client.connection_pool
    connection = await pool.get_connection()
    in_flight = True  # until a reply is read whole, the connection may be out of step
    try:
        await connection.send_packed_command(hiredis.pack_command(tuple(first)), check_health=False)
        while True:
            reply = await connection.read_response(disable_decoding=True)
            in_flight = False
            command = after(reply)
            if command is not None:
                in_flight = True
                await connection.send_packed_command(
                    hiredis.pack_command(tuple(command)), check_health=False
                )
            yield reply
            if command is None:
                return
    finally:
        if in_flight:  # a reply is still owed (the caller stopped early, or an error)
            await connection.disconnect()
        await pool.release(connection)


# Items per call when a whole key is walked (XRANGE, HSCAN, RPUSH in chunks: a rebuild, a
# purge): big enough that round trips do not dominate, small enough that one call never holds
# the store up for long.
PAGE = 2000


async def stream_pages(
    client: aioredis.Redis, key: str, *, after: str = "-", count: int = PAGE
) -> AsyncIterator[list[tuple[bytes, dict[bytes, bytes]]]]:
    """The stream ``key`` from after ``after`` (an XRANGE bound: ``-`` or ``(<id>``) to its end,
    as pages of at most ``count`` ``(id, fields)`` entries, oldest first; an empty stream yields
    nothing. Redis errors are raised as they come (callers wrap with ``store_errors``)."""
    while True:
        entries = await client.xrange(key, min=after, max="+", count=count)
        if entries:
            yield entries
        if len(entries) < count:
            return
        last = entries[-1][0]
        after = "(" + (last.decode() if isinstance(last, bytes) else last)
