"""The notifier against a real local webhook and the real store: each notice arrives once
across a clean restart, a failing or hanging receiver, and the one documented exception (a
crash between the receiver's answer and the acknowledgement) delivers twice with one key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from liveevent.domain.notices import Notice, NoticeKind
from liveevent.store.connect import StoreConnection
from liveevent.store.opening import connect
from liveevent.store.outbox import Outbox
from liveevent.web.notifier import Notifier
from tests.support import eventually
from tests.webhook import Receiver

SECRET = b"test-webhook-secret"


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


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(SECRET)
    await hook.start()
    yield hook
    if hook.hold is not None:
        hook.hold.set()
    await hook.stop()


def make_notices(count: int, *, event_id: str = "ev1", due_at: int = 0) -> list[Notice]:
    return [
        Notice(
            key=f"rem:{event_id}:{i:05d}:live",
            event_id=event_id,
            kind=NoticeKind.LIVE,
            recipient=f"138{i:08d}",
            payload={"text": f"提醒 {i}"},
            due_at=due_at,
            created_at=0,
        )
        for i in range(count)
    ]


def notifier(outbox: Outbox, receiver: Receiver, name: str, **options: Any) -> Notifier:
    settings: dict[str, Any] = dict(
        timeout_s=1.0,
        concurrency=8,
        max_attempts=50,
        backoff_s=0.05,
        backoff_max_s=0.2,
        claim_idle_s=30.0,
        poll_s=0.05,
    )
    settings.update(options)
    return Notifier(outbox, url=receiver.url, secret=SECRET, consumer=name, **settings)


async def test_a_clean_restart_mid_send_delivers_each_notice_once(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(300))
    receiver.delay_s = 0.01  # sends are in flight when the first sender stops
    first = notifier(outbox, receiver, "node-a")
    await first.start()
    assert await eventually(lambda: len(receiver.accepted) >= 60, 20)
    await first.stop()
    stopped_at = len(receiver.accepted)
    assert stopped_at < 300  # it really stopped mid-send
    second = notifier(outbox, receiver, "node-b")
    await second.start()
    try:
        assert await eventually(lambda: len(receiver.accepted) >= 300, 30)

        async def drained() -> bool:
            return await outbox.pending() == 0

        assert await eventually(drained, 5)  # deliveries are recorded a moment later
    finally:
        await second.stop()
    assert receiver.distinct() == 300
    assert len(receiver.accepted) == 300, receiver.repeats()
    assert receiver.bad_signatures == 0
    assert first.sent + second.sent == 300


async def test_a_failing_then_recovering_receiver_gets_each_notice_once(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(40))
    receiver.mode = "fail"
    sender = notifier(outbox, receiver, "node-a")
    await sender.start()
    try:
        # Every notice refused at least twice: retried, with backoff, never given up.
        assert await eventually(lambda: len(receiver.seen) >= 80, 30)
        assert receiver.accepted == []
        receiver.mode = "ok"
        assert await eventually(lambda: len(receiver.accepted) >= 40, 30)
        assert await eventually(lambda: sender.sent == 40, 5)
    finally:
        await sender.stop()
    assert receiver.distinct() == 40
    assert len(receiver.accepted) == 40, receiver.repeats()
    assert sender.retried >= 40
    counts = await outbox.counts("ev1")
    assert counts["sent"] == 40 and counts["dead"] == 0


async def test_timeouts_are_retried_and_each_notice_is_taken_once(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(10))
    receiver.mode, receiver.hang_s = "hang", 3.0
    sender = notifier(outbox, receiver, "node-a", timeout_s=0.3)
    await sender.start()
    try:
        assert await eventually(lambda: len(receiver.seen) >= 20, 30)
        receiver.mode = "ok"
        assert await eventually(lambda: len(receiver.accepted) >= 10, 30)
        assert await eventually(lambda: sender.sent == 10, 5)
    finally:
        await sender.stop()
    assert len(receiver.accepted) == 10 and receiver.distinct() == 10


async def test_refused_and_exhausted_notices_are_dead_and_visible(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(3, event_id="ev-refused"))
    receiver.mode = "refuse"
    sender = notifier(outbox, receiver, "node-a", max_attempts=2)
    await sender.start()
    try:
        assert await eventually(lambda: sender.dead >= 3, 10)
        receiver.mode = "fail"
        await outbox.enqueue(make_notices(2, event_id="ev-down"))
        assert await eventually(lambda: sender.dead >= 5, 10)
    finally:
        await sender.stop()
    refused = await outbox.dead("ev-refused")
    assert len(refused) == 3
    assert all(n.attempts == 1 and n.last_error == "HTTP 400" for _, n in refused)
    down = await outbox.dead("ev-down")
    assert len(down) == 2 and all(n.attempts == 2 for _, n in down)
    assert (await outbox.counts("ev-down"))["dead"] == 2
    assert len(receiver.seen) == 3 + 2 * 2  # a refusal is not retried; a 500 is, up to the cap


async def test_a_crash_between_the_answer_and_the_ack_delivers_twice_with_one_key(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    await outbox.enqueue(make_notices(1))
    receiver.mode, receiver.hold = "take_then_hold", asyncio.Event()
    crashed = notifier(outbox, receiver, "node-a")
    await crashed.start()
    await asyncio.wait_for(receiver.arrived.wait(), 10)
    await crashed.abort()  # the receiver took it; the sender dies before its answer
    receiver.hold.set()
    taker = notifier(outbox, receiver, "node-b", claim_idle_s=2.0, timeout_s=1.0)
    await taker.start()
    try:
        assert await eventually(lambda: taker.sent == 1, 10)
    finally:
        await taker.stop()
    key = make_notices(1)[0].key
    assert receiver.accepted == [key, key]  # twice, with the same idempotency key
    assert taker.claimed == 1
    assert (await outbox.counts("ev1"))["sent"] == 1


async def test_a_notice_enqueued_again_is_not_sent_again(
    conn: StoreConnection, receiver: Receiver
) -> None:
    outbox = Outbox(conn)
    assert await outbox.enqueue(make_notices(5)) == 5
    sender = notifier(outbox, receiver, "node-a")
    await sender.start()
    try:
        assert await eventually(lambda: sender.sent == 5, 10)
        assert await outbox.enqueue(make_notices(5)) == 0  # a retried sign-up, a 2nd go-live
        # Give it the time to (wrongly) send them: three poll rounds pass with nothing new.
        rounds = 0

        async def three_rounds() -> bool:
            nonlocal rounds
            rounds += 1
            return rounds > 3 and await outbox.pending() == 0

        assert await eventually(three_rounds, 5, step_s=0.1)
    finally:
        await sender.stop()
    assert len(receiver.accepted) == 5
