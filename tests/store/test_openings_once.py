"""A hire whose reply is lost: the retry appends no second "openings" timeline entry.

The status scripts append the job's new hire count to the timeline in the step that changes it
(issue 16, positions remaining). The fault proxy lets the change reach the store, loses the
reply and drops the connection; redis-py sends it again, and the once key makes the retry
answer the first run's answer without writing. Viewers must get exactly one entry per change.
"""

from __future__ import annotations

import pytest

from tests.store.test_write_once import Rig, rig  # noqa: F401 (the fixture)


async def _openings(rig: Rig) -> list[dict[str, object]]:  # noqa: F811
    return [r for r in await rig.records(rig.keys.timeline) if r["kind"] == "openings"]


@pytest.mark.parametrize("bulk", [False, True], ids=["one", "bulk"])
async def test_a_hire_retried_after_a_lost_reply_appends_one_entry(
    rig: Rig,  # noqa: F811
    bulk: bool,
) -> None:
    ids = await rig.applications(2)
    rig.lose(rig.keys.status)
    if bulk:
        status, body = await rig.call(
            "PATCH",
            "/applications",
            rig.event.staff_token,
            json_body={"application_ids": ids, "status": "hired"},
        )
    else:
        status, body = await rig.call(
            "PATCH", f"/applications/{ids[0]}", rig.event.staff_token, json_body={"status": "hired"}
        )
    assert status == 200, body
    assert rig.proxy.dropped_replies == 1, "the fault did not fire: this case proves nothing"
    hires = 2 if bulk else 1
    entries = await _openings(rig)
    assert [(e["job_id"], e["hires"]) for e in entries] == [("j1", hires)]
    assert (await rig.server.stats(rig.event))["hires"] == hires
    # The event's cursor is that entry: a viewer resuming from it is not "from the future".
    last = (await rig.store.xrevrange(rig.keys.timeline, count=1))[0][0]
    assert await rig.store.hget(rig.keys.meta, "cursor") == last
