"""Stopping background tasks that talk to the store.

redis-py's asyncio client can swallow a cancellation that lands while a command is being sent
or read: the command's ``CancelledError`` is caught inside the client and the caller carries
on. Measured with redis 7 on this machine, a loop of SMEMBERS cancelled at random moments kept
running after 195 of 300 cancels. A loop that sleeps between store calls then sleeps on, and
an app's shutdown that awaited it hung (``liveevent serve`` stopped right after start-up, in
``tests/test_serve.py``). So a task is cancelled again until it has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

RECANCEL_S = 0.1


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling it again every ``RECANCEL_S``
    seconds while it runs on (see the module). None: nothing to do. Raises what the task
    raised, other than ``CancelledError``."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_S)
    with contextlib.suppress(asyncio.CancelledError):
        await task
