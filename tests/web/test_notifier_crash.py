"""kill -9 of ``liveevent serve`` while it sends go-live reminders, then a new process: every
reminder arrives, and only those in flight at the kill may arrive twice, with the same key."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from liveevent.config import Settings
from tests.reliability.support import ValkeyProcess
from tests.support import ADMIN_TOKEN, Event, LiveServer, eventually
from tests.test_app_crash import ServeProcess
from tests.webhook import Receiver

SECRET = "crash-test-secret"
CONCURRENCY = 8
SIGNUPS = 80


@pytest.mark.slow
async def test_a_killed_sender_loses_no_reminder_and_repeats_only_those_in_flight(
    valkey: Callable[..., Awaitable[ValkeyProcess]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver = Receiver(SECRET.encode())
    receiver.delay_s = 0.05  # every POST is in flight a while: the kill finds some
    await receiver.start()
    for name, value in {
        "LIVEEVENT_NOTIFY_WEBHOOK_URL": receiver.url,
        "LIVEEVENT_NOTIFY_SECRET": SECRET,
        "LIVEEVENT_NOTIFY_CONCURRENCY": str(CONCURRENCY),
        "LIVEEVENT_NOTIFY_CLAIM_IDLE_S": "1",
        "LIVEEVENT_NOTIFY_TIMEOUT_S": "0.5",
        "LIVEEVENT_NOTIFY_POLL_S": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    store = await valkey()
    prefix = f"notify-crash-{uuid.uuid4().hex[:8]}"
    first = ServeProcess(store.url, tmp_path, prefix)
    client = LiveServer(Settings(), port=first.port)  # its HTTP helpers, against the child
    client.session = aiohttp.ClientSession()
    second: ServeProcess | None = None
    try:
        await first.start()
        status, created = await client.call(
            "POST", "/api/events", token=ADMIN_TOKEN, json_body={"title": "招聘会"}
        )
        assert status == 201
        event = Event(created["id"], created["host_token"], created["staff_token"], "")
        for i in range(SIGNUPS):
            body = {"name": "李秀英", "phone": f"137{i:08d}", "consent": True}
            status, _ = await client.call("POST", f"/api/events/{event.id}/signups", json_body=body)
            assert status == 201
        status, _ = await client.call(
            "POST",
            f"/api/events/{event.id}/state",
            token=event.host_token,
            json_body={"state": "live"},
        )
        assert status == 200
        assert await eventually(lambda: len(receiver.accepted) >= 20, 20)
        first.kill()
        at_kill = len(receiver.accepted)
        assert at_kill < SIGNUPS
        second = ServeProcess(store.url, tmp_path, prefix)
        await second.start()
        client.port = second.port
        assert await eventually(lambda: receiver.distinct() >= SIGNUPS, 30)

        async def recorded() -> bool:
            status, body = await client.call(
                "GET", f"/api/events/{event.id}/notifications", token=event.staff_token
            )
            return status == 200 and body["counts"]["sent"] == SIGNUPS

        assert await eventually(recorded, 10)
    finally:
        first.kill()
        if second is not None:
            second.kill()
        await client.session.close()
        await receiver.stop()
    repeats = Counter(receiver.accepted) - Counter(set(receiver.accepted))
    print(
        f"\nkilled after {at_kill} deliveries; {len(receiver.accepted)} deliveries in all, "
        f"{receiver.distinct()} distinct, {sum(repeats.values())} repeated"
    )
    assert receiver.distinct() == SIGNUPS
    # Only a notice the receiver took while its sender died can come again (same key): those
    # in flight (at most CONCURRENCY) and those answered in the last 10 ms, not yet recorded
    # (Notifier's FLUSH_S; at most one more round of the slots).
    assert sum(repeats.values()) <= 2 * CONCURRENCY
    assert receiver.bad_signatures == 0
