"""The garbage collection policy (liveevent/web/gcpolicy.py) on a real server on loopback.

The server and these tests share one process, so the collections counted here are the
server's. Each test records generation-2 (full) collections through its own ``gc.callbacks``
hook, independently of the app's metrics.
"""

from __future__ import annotations

import asyncio
import gc
import re
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from liveevent.config import Settings, load_settings
from liveevent.errors import InvalidInput
from tests.support import Event, LiveServer, ViewerClient


class _Cycle:
    """A node of cyclic garbage: only a collection (never reference counting) frees it."""

    def __init__(self) -> None:
        self.me = self


@contextmanager
def full_collections() -> Iterator[list[float]]:
    """The ``time.monotonic()`` at which each full collection started while in the block."""
    started: list[float] = []

    def hook(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            started.append(time.monotonic())

    gc.callbacks.append(hook)
    try:
        yield started
    finally:
        gc.callbacks.remove(hook)


def _promoted_cycles(count: int) -> weakref.WeakSet[_Cycle]:
    """``count`` cycles that reached the oldest generation, then became garbage: the kind of
    garbage a closed viewer can leave, which only a full collection frees."""
    nodes = [_Cycle() for _ in range(count)]
    alive: weakref.WeakSet[_Cycle] = weakref.WeakSet(nodes)
    gc.collect(1)  # young collections promote the survivors to generation 2
    del nodes
    return alive


async def _wait(condition: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def test_no_full_collection_while_pushes_are_fanned_out(server: LiveServer) -> None:
    """A push burst while long-lived objects grow by half the heap (a crowd joining, in
    effect): CPython's default runs full collections then; the policy runs none."""
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    grown: list[list[None]] = []
    per_push = max(10_000, len(gc.get_objects()) // 10)
    with full_collections() as started:
        for _ in range(15):
            body = await server.push(event, "j1")
            card = await viewer.next_of("card")
            assert card["card"]["card_id"] == body["card_id"]
            # Survivors of young collections: the "long-lived pending" that makes CPython 3.11
            # run a full collection at every 25% of growth.
            grown.extend([None] for _ in range(per_push))
            await asyncio.sleep(0.05)  # pushes 0.05-0.1 s apart: never quiet for gc_quiet_s
    assert len(grown) >= 150_000
    assert started == [], f"{len(started)} full collections during the push burst"
    await viewer.close()


async def _join(server: LiveServer, event: Event, count: int) -> list[ViewerClient]:
    viewers = await asyncio.gather(*(server.viewer(event) for _ in range(count)))
    await asyncio.gather(*(v.next_of("hello") for v in viewers))
    return list(viewers)


async def test_memory_stays_bounded_while_viewers_join_and_leave_in_waves(
    make_server: Any, settings: Settings
) -> None:
    """Waves of viewers join and close, each wave leaving cyclic garbage in the oldest
    generation; the policy's full collections at quiet moments free it, so the tracked
    objects after each wave stay near what they were after the first."""
    server = await make_server(gc_quiet_s=0.3, gc_full_interval_s=0.5, gc_full_max_wait_s=30.0)
    event = await server.create_event()
    after_wave: list[int] = []
    alive_after_quiet: list[int] = []
    with full_collections() as started:
        for wave in range(6):
            viewers = await _join(server, event, 100)
            garbage = _promoted_cycles(5_000)
            await server.push(event, "j1")
            await asyncio.gather(*(v.next_of("card") for v in viewers))
            fanned_out_by = time.monotonic()  # the card's fan-out ended before this
            await asyncio.gather(*(v.close() for v in viewers))
            # The garbage is freed by the policy's next full collection, at a quiet moment.
            assert await _wait(lambda g=garbage: len(g) == 0, within_s=5.0), f"wave {wave}"
            alive_after_quiet.append(len(garbage))
            # At a quiet moment: gc_quiet_s after the push (less the time its receipt took).
            assert started and started[-1] - fanned_out_by >= 0.3 - 0.05, "not quiet"
            after_wave.append(len(gc.get_objects()))
    assert alive_after_quiet == [0] * 6
    # Six waves of 100 viewers each (about 70 tracked objects apiece while connected) and
    # 5,000 cycles each: bounded means the later waves end where the first ended.
    assert max(after_wave[1:]) - after_wave[0] < 100 * 70, after_wave
    status, text = await server.call("GET", "/metrics")
    assert status == 200
    match = re.search(
        r'^liveevent_gc_pause_seconds_count\{generation="2",node="[^"]*"\} (\S+)$'
        r'|^liveevent_gc_pause_seconds_count\{node="[^"]*",generation="2"\} (\S+)$',
        text,
        re.M,
    )
    assert match, text
    assert float(match.group(1) or match.group(2)) >= 6


async def test_a_full_collection_runs_by_the_deadline_even_if_pushes_never_stop(
    make_server: Any,
) -> None:
    """Pushes every ~0.1 s are never quiet; the cycles are freed after gc_full_max_wait_s."""
    server = await make_server(gc_quiet_s=1.0, gc_full_interval_s=0.2, gc_full_max_wait_s=1.5)
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    garbage = _promoted_cycles(5_000)
    started_at = time.monotonic()
    with full_collections() as started:
        while len(garbage) and time.monotonic() - started_at < 6.0:
            await server.push(event, "j1")
            await viewer.next_of("card")
            await asyncio.sleep(0.1)
    assert len(garbage) == 0
    assert started, "no full collection"
    assert 1.0 <= started[0] - started_at <= 3.0, started[0] - started_at
    await viewer.close()


def test_gc_settings_are_checked_by_name() -> None:
    for name in ("gc_quiet_s", "gc_full_interval_s", "gc_full_max_wait_s"):
        with pytest.raises(InvalidInput) as caught:
            load_settings(environ={f"LIVEEVENT_{name.upper()}": "-1"})
        assert caught.value.fields == {name: "invalid"}
    settings = load_settings(environ={"LIVEEVENT_GC_QUIET_S": "0"})
    assert replace(settings, gc_quiet_s=0.0) == settings
