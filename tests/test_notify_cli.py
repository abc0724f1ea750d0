"""``liveevent notify test``: a real process sends one signed message to a real receiver."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.webhook import Receiver

SECRET = "cli-test-secret"


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LIVEEVENT_")}
    environ.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "liveevent.cli",
        *args,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_notify_test_sends_one_signed_message_and_prints_the_answer() -> None:
    receiver = Receiver(SECRET.encode())
    await receiver.start()
    try:
        env = {"LIVEEVENT_NOTIFY_WEBHOOK_URL": receiver.url, "LIVEEVENT_NOTIFY_SECRET": SECRET}
        code, out, err = await run_cli("notify", "test", "--to", "+86 138 1111 2222", env=env)
        assert code == 0, err
        assert "HTTP 200" in out and '"ok": true' in out
        assert len(receiver.accepted) == 1 and receiver.accepted[0].startswith("test:")
        assert receiver.bodies[0]["recipient"] == "13811112222"
        assert receiver.bodies[0]["kind"] == "test"
        # A receiver with another secret refuses it, and the command says so.
        env["LIVEEVENT_NOTIFY_SECRET"] = "not-the-secret"
        code, out, _ = await run_cli("notify", "test", env=env)
        assert code == 1 and "HTTP 401" in out
        assert receiver.bad_signatures == 1
    finally:
        await receiver.stop()


async def test_notify_test_without_a_webhook_names_the_setting() -> None:
    code, _, err = await run_cli("notify", "test", env={})
    assert code == 2 and "notify_webhook_url" in err
