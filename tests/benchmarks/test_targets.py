"""The harness's server adapters (``benchmarks/targets.py``)."""

from __future__ import annotations

import sys

import aiohttp
import pytest

from benchmarks.targets import Target, TargetError


class _FailsAtOnce(Target):
    name = "fails"

    def command(self) -> list[str]:
        return [sys.executable, "-c", "import sys; print('store still loading'); sys.exit(3)"]


async def test_a_target_that_does_not_come_up_shows_its_output() -> None:
    # stop() removes the work dir with the log: the message must be read before it.
    target = _FailsAtOnce()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TargetError, match="store still loading"):
            await target.start(None, session)
