"""The notifier against hostile or broken receivers and a poisoned outbox (review r4): a
redirect never carries a signed notice (names, phones) elsewhere nor counts as a delivery, an
answer that never ends does not turn a delivery into a retry, and one unreadable record does
not stop every other notice. Real local HTTP servers, the real store."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web

from liveevent.store.connect import StoreConnection
from liveevent.store.embedded import free_port
from liveevent.store.opening import connect
from liveevent.store.outbox import Outbox
from liveevent.web.notifier import Notifier, post_notice
from tests.support import eventually
from tests.web.test_notifier import SECRET, make_notices
from tests.webhook import Receiver


@pytest.fixture
async def conn(store_url: str) -> AsyncIterator[StoreConnection]:
    connection = await connect(
        store_url,
        key_prefix=f"test-{uuid.uuid4().hex[:10]}",
        timeout_s=3.0,
        waitaof_timeout_ms=1000,
    )
    yield connection
    await connection.close()


class Elsewhere:
    """A second local server: ``/grab`` records whatever reaches it (method, body) and
    answers 200; ``/hook`` answers what ``answer`` says (a redirect to ``/grab``, or a 200
    whose body never ends)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.grabbed: list[tuple[str, bytes]] = []
        self.answer = "redirect-307"
        self._runner: web.AppRunner | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/grab", self._grab)
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _grab(self, request: web.Request) -> web.Response:
        self.grabbed.append((request.method, await request.read()))
        return web.json_response({"ok": True})

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if self.answer.startswith("redirect-"):
            status = int(self.answer.split("-")[1])
            return web.Response(status=status, headers={"Location": self.url("/grab")})
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        await response.prepare(request)
        while True:  # "endless": the gateway took the message, then talks forever
            await response.write(b" " * 65536)
            await asyncio.sleep(0.01)


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    server = Elsewhere()
    await server.start()
    yield server
    await server.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_neither_carries_the_notice_elsewhere_nor_counts_as_sent(
    conn: StoreConnection, elsewhere: Elsewhere, status: int
) -> None:
    elsewhere.answer = f"redirect-{status}"
    outbox = Outbox(conn)
    [notice] = make_notices(1)
    await outbox.enqueue([notice])
    sender = Notifier(
        outbox,
        url=elsewhere.url("/hook"),
        secret=SECRET,
        consumer="node-a",
        timeout_s=1.0,
        max_attempts=3,
        backoff_s=0.05,
        backoff_max_s=0.1,
        poll_s=0.05,
    )
    await sender.start()
    try:

        async def settled() -> bool:
            counts = await outbox.counts("ev1")
            return counts["sent"] + counts["dead"] == 1

        assert await eventually(settled, 10)
    finally:
        await sender.stop()
    assert elsewhere.grabbed == []  # the phone and name went nowhere else
    counts = await outbox.counts("ev1")
    assert (counts["sent"], counts["dead"]) == (0, 1)  # a redirect is not a delivery
    [(_, dead)] = await outbox.dead("ev1")
    assert dead.last_error == f"HTTP {status}"


async def test_an_answer_that_never_ends_is_still_a_delivery(elsewhere: Elsewhere) -> None:
    elsewhere.answer = "endless"
    [notice] = make_notices(1)
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        attempt = await post_notice(
            session,
            elsewhere.url("/hook"),
            SECRET,
            notice,
            attempt=1,
            timeout_s=2.0,
            now_s=time.time(),
        )
    # The 200 came at once: sending again (a retry) would deliver the reminder twice.
    assert attempt.status == 200 and attempt.error == "", attempt
    assert len(attempt.body) <= 300
    assert time.monotonic() - started < 1.5


async def test_an_unreadable_record_does_not_stop_the_other_notices(
    conn: StoreConnection,
) -> None:
    receiver = Receiver(SECRET)
    await receiver.start()
    outbox = Outbox(conn)
    good = make_notices(20)
    await outbox.enqueue(good)
    poison = good[0].key
    await conn.reader.hset(outbox.k.notices, poison, b"\xc1 not msgpack")
    sender = Notifier(
        outbox,
        url=receiver.url,
        secret=SECRET,
        consumer="node-a",
        timeout_s=1.0,
        concurrency=4,  # the poisoned one is in the first batch read
        backoff_s=0.05,
        claim_idle_s=2.0,
        poll_s=0.05,
    )
    await sender.start()
    try:
        assert await eventually(lambda: receiver.distinct() == 19, 10), receiver.distinct()

        async def poison_settled() -> bool:
            counts = await outbox.counts("ev1")
            return counts["dead"] == 1 and counts["sent"] == 19

        assert await eventually(poison_settled, 10), await outbox.counts("ev1")
        assert await outbox.pending() == 0  # nothing left pending to be claimed forever
    finally:
        await sender.stop()
        await receiver.stop()
    assert poison not in receiver.accepted


async def test_two_processes_sharing_the_store_send_each_notice_once(
    conn: StoreConnection, store_url: str
) -> None:
    # Two app processes: two connections, two senders, one outbox (held in review r4).
    other = await connect(
        store_url, key_prefix=conn.keys.prefix, timeout_s=3.0, waitaof_timeout_ms=1000
    )
    receiver = Receiver(SECRET)
    await receiver.start()
    receiver.delay_s = 0.002
    senders = [
        Notifier(
            Outbox(c),
            url=receiver.url,
            secret=SECRET,
            consumer=name,
            timeout_s=1.0,
            concurrency=16,
            backoff_s=0.05,
            claim_idle_s=2.0,
            poll_s=0.02,
        )
        for c, name in ((conn, "node-a"), (other, "node-b"))
    ]
    await Outbox(conn).enqueue(make_notices(400))
    for sender in senders:
        await sender.start()
    try:
        assert await eventually(lambda: receiver.distinct() == 400, 30), receiver.distinct()

        async def drained() -> bool:
            return await Outbox(conn).pending() == 0

        assert await eventually(drained, 10)
    finally:
        for sender in senders:
            await sender.stop()
        await receiver.stop()
        await other.close()
    assert receiver.repeats() == {}
    assert all(s.sent > 0 for s in senders), [s.sent for s in senders]  # both took a share


@pytest.mark.parametrize("max_attempts", [1, 50])  # the failed send then dies, or is retried
async def test_a_purge_during_a_send_leaves_no_name_or_phone_behind(
    conn: StoreConnection, max_attempts: int
) -> None:
    receiver = Receiver(SECRET)
    await receiver.start()
    receiver.hold = asyncio.Event()
    receiver.mode = "fail"
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(3))
    sender = Notifier(
        outbox,
        url=receiver.url,
        secret=SECRET,
        consumer="node-a",
        timeout_s=5.0,
        max_attempts=max_attempts,
        backoff_s=0.05,
        poll_s=0.02,
    )
    await sender.start()
    try:
        assert await eventually(lambda: len(receiver.seen) == 3, 10)  # all three in flight
        await outbox.forget("ev1")  # what the purge of the event does
        receiver.hold.set()
        assert await eventually(lambda: sender.dead + sender.retried == 3, 10)
    finally:
        await sender.stop()
        await receiver.stop()
    assert await conn.reader.hlen(outbox.k.notices) == 0  # no record came back
    counts = await outbox.counts("ev1")
    assert counts["cancelled"] == 3 and await outbox.pending() == 0, counts


async def test_a_store_that_lost_the_send_queue_does_not_stop_the_notifier(
    conn: StoreConnection,
) -> None:
    # A store restarted without its data (or restored from before the notifier first ran):
    # the queue's consumer group is gone, and every read answered NOGROUP until the app was
    # restarted, so sign-ups made since were never reminded.
    receiver = Receiver(SECRET)
    await receiver.start()
    outbox = Outbox(conn)
    sender = Notifier(
        outbox,
        url=receiver.url,
        secret=SECRET,
        consumer="node-a",
        timeout_s=1.0,
        backoff_s=0.05,
        claim_idle_s=2.0,
        poll_s=0.02,
    )
    await sender.start()
    try:
        await outbox.enqueue(make_notices(2))
        assert await eventually(lambda: receiver.distinct() == 2, 10)
        await conn.reader.delete(outbox.k.queue)  # the stream and its group
        await outbox.enqueue(make_notices(5, event_id="ev2"))
        assert await eventually(lambda: receiver.distinct() == 7, 10), receiver.distinct()
    finally:
        await sender.stop()
        await receiver.stop()


async def test_cancelling_a_big_events_reminders_does_not_stall_the_store(
    conn: StoreConnection,
) -> None:
    # Go-live cancels every reminder not yet sent (and a purge every notice): one script over
    # all of them held the store, shared by every apply and card push, for seconds (100,000
    # notices: 2.3 s), at the very moment the broadcast starts.
    outbox = Outbox(conn)
    notices = [
        replace(n, key=f"rem:ev1:{i:08d}:{label}", due_at=10**13)
        for i, n in enumerate(make_notices(30_000))
        for label in ("1d", "30m")
    ]
    await outbox.enqueue(notices)
    stalls: list[float] = []
    done = asyncio.Event()

    async def pinging() -> None:
        while not done.is_set():
            started = time.monotonic()
            await conn.reader.ping()
            stalls.append(time.monotonic() - started)
            await asyncio.sleep(0.005)

    pinger = asyncio.create_task(pinging())
    try:
        assert await outbox.cancel("ev1", "rem:ev1:") == 60_000
    finally:
        done.set()
        await pinger
    assert max(stalls) < 0.3, f"the store did not answer for {max(stalls):.2f} s"
    counts = await outbox.counts("ev1")
    assert counts["cancelled"] == 60_000 and await outbox.pending() == 0, counts
    assert await conn.reader.hlen(outbox.k.notices) == 0
