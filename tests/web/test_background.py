"""``cancel_and_wait`` ends a task that swallows a cancellation (as redis-py's asyncio client
can), which a plain cancel-and-await did not: the app's shutdown hung on it."""

from __future__ import annotations

import asyncio

from liveevent.web.background import cancel_and_wait


async def _swallows_the_first_cancel(swallowed: list[int]) -> None:
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(1)  # as the store client does: caught, and the loop goes on
            asyncio.current_task().uncancel()  # type: ignore[union-attr]


async def test_a_task_that_swallows_a_cancel_is_cancelled_again_until_it_ends() -> None:
    swallowed: list[int] = []
    task = asyncio.create_task(_swallows_the_first_cancel(swallowed))
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task), timeout=5)
    assert task.cancelled() and swallowed == [1]
    # The plain way it replaced waits for ever on such a task.
    again: list[int] = []
    other = asyncio.create_task(_swallows_the_first_cancel(again))
    await asyncio.sleep(0)
    other.cancel()
    done, _ = await asyncio.wait({other}, timeout=0.3)
    assert not done and again == [1]
    await cancel_and_wait(other)
    await cancel_and_wait(None)  # nothing to stop
