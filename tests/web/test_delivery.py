"""Delivery exactly once while viewers join and resume during pushes, and past a corrupt entry.

The stress test is the scenario of ``benchmarks/delivery.py`` (a host pushing every 0-30 ms,
20 viewers reconnecting every 0.05-0.6 s, 70% resuming) for 10 s against a real server on
loopback, checked per connection against the timeline read back from the store.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from benchmarks.delivery import Connection, Endpoint, Scenario, check
from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer


async def _store_timeline(server: LiveServer, event: Event) -> list[tuple[str, str | None]]:
    """The event's whole timeline as (cursor, card id or None), straight from the store."""
    conn = server.app[STORE]
    raw = await conn.reader.xrange(conn.keys.event(event.id).timeline)
    timeline: list[tuple[str, str | None]] = []
    for sid, fields in raw:
        record: dict[str, Any] = codec.unpack(fields[b"d"])
        card = record["card"]["card_id"] if record["kind"] == "card" else None
        timeline.append((sid.decode(), card))
    return timeline


@pytest.mark.slow
async def test_no_duplicate_and_no_gap_while_viewers_join_and_resume(server: LiveServer) -> None:
    event = await server.create_event()
    endpoint = Endpoint(server.url, event.id, event.host_token, ["j1", "j2", "j3"])
    scenario = Scenario(endpoint, seconds=10.0, viewers=20)
    assert server.session is not None
    connections = await scenario.run(server.session)

    timeline = await _store_timeline(server, event)
    # The store holds exactly what the host was told it pushed (after the state change).
    assert [entry for entry in timeline if entry[1] is not None] == scenario.pushed
    tally = check(connections, timeline)
    # The scenario really ran (floors well below a quiet run's ~600 connects, ~400 resumed,
    # ~300 pushes and ~7,000 messages, so that a busy machine does not fail it).
    assert len(scenario.pushed) >= 100, len(scenario.pushed)
    assert tally.connects >= 100 and tally.resumed >= 50, tally
    assert tally.messages >= 200, tally
    assert any(c.final for c in connections), "no connection was held to the end"
    assert (tally.duplicates, tally.gaps, tally.wrong) == (0, 0, 0), tally
    assert scenario.failed_connects == 0


def test_the_check_counts_duplicates_and_gaps() -> None:
    """The checker itself: it must see what the stress test is there to catch."""

    timeline = [("1-0", None), ("2-0", "a"), ("3-0", "b"), ("4-0", "c")]
    fine = Connection(None, start="2-0", hello_card="a", received=[("3-0", "b"), ("4-0", "c")])
    fine.final = True
    again = Connection(None, start="2-0", hello_card="a", received=[("2-0", "a"), ("3-0", "b")])
    skipped = Connection("1-0", start="1-0", resumed=True, received=[("2-0", "a"), ("4-0", "c")])
    short = Connection("1-0", start="1-0", resumed=True, received=[("2-0", "a")], final=True)
    stale_hello = Connection(None, start="3-0", hello_card="a")
    assert check([fine], timeline).figures()["duplicates"] == 0
    assert check([fine], timeline).gaps == 0
    assert check([again], timeline).duplicates == 1
    assert check([skipped], timeline).gaps == 1
    assert check([short], timeline).gaps == 2
    assert check([stale_hello], timeline).wrong == 1


async def _metric(server: LiveServer, name: str, path: str) -> float:
    status, text = await server.call("GET", "/metrics")
    assert status == 200
    match = re.search(rf'^{name}_total{{node="[^"]*",path="{path}"}} (\S+)$', text, re.M)
    assert match, text
    return float(match.group(1))


@pytest.mark.parametrize(
    "fields",
    [
        {"d": b"\xc1garbage"},  # not msgpack at all
        {"d": codec.pack({"kind": "card"})},  # a map, but not a timeline record
        {"x": b"1"},  # no record field
        # Records whose fields are copied into the viewer message as they are, but cannot be
        # written as JSON: they passed as records and failed later, in the fan-out's send.
        {"d": codec.pack({"kind": "withdraw", "card_id": b"\xff\xfe", "at": 1})},
        {"d": codec.pack({"kind": "state", "state": {"nested": [1]}, "at": 1})},
        {"d": codec.pack({"kind": "withdraw", "card_id": 2**64 - 1, "at": 1})},
        {
            "d": codec.pack(
                {
                    "kind": "card",
                    "card": {
                        "card_id": "c",
                        "pushed_at": 1,
                        "job": {"id": "j1", "employer": b"\xff", "title": "t"},
                    },
                }
            )
        },
    ],
    ids=[
        "not-msgpack",
        "not-a-record",
        "no-record-field",
        "bytes-id",
        "map-state",
        "big-id",
        "bytes-in-job",
    ],
)
async def test_a_corrupt_timeline_entry_is_skipped_logged_and_counted(
    server: LiveServer, caplog: pytest.LogCaptureFixture, fields: dict[str, bytes]
) -> None:
    event = await server.create_event()
    watching = await server.viewer(event)
    hello = await watching.next()
    first = await server.push(event, "j1")
    assert (await watching.next())["cursor"] == first["cursor"]

    conn = server.app[STORE]
    bad = await conn.reader.xadd(conn.keys.event(event.id).timeline, fields)
    bad_id = bad.decode()
    after = [await server.push(event, job) for job in ("j2", "j3")]

    # The live viewer gets the pushes after the bad entry, in order, nothing else.
    got = [await watching.next() for _ in after]
    assert [m["cursor"] for m in got] == [a["cursor"] for a in after]
    assert [m["card"]["card_id"] for m in got] == [a["card_id"] for a in after]
    # A viewer resuming from before the bad entry gets its replay without it.
    resuming = await server.viewer(event, since=first["cursor"])
    resumed = await resuming.next()
    assert resumed["resumed"] is True
    replay = [await resuming.next() for _ in after]
    assert [m["cursor"] for m in replay] == [a["cursor"] for a in after]
    # ... and both keep getting what comes next.
    later = await server.push(event, "j1")
    assert (await watching.next())["cursor"] == later["cursor"]
    assert (await resuming.next())["cursor"] == later["cursor"]

    assert await _metric(server, "liveevent_corrupt_entries", "fanout") == 1
    assert await _metric(server, "liveevent_corrupt_entries", "replay") == 1
    logged = [r for r in caplog.records if bad_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelname == "ERROR"  # once, not once per viewer

    # Whole-timeline readers skip it too: the list of cards and the pushes export still work.
    pushed = [first["card_id"], *(a["card_id"] for a in after), later["card_id"]]
    status, body = await server.call("GET", f"/api/events/{event.id}/cards")
    assert status == 200 and [c["card_id"] for c in body["cards"]] == pushed
    status, sheet = await server.call(
        "GET", f"/api/events/{event.id}/export/pushes.csv", token=event.staff_token
    )
    assert status == 200 and all(card_id in sheet for card_id in pushed)
    assert hello["type"] == "hello"
    await watching.close()
    await resuming.close()


async def test_a_viewer_whose_hello_is_behind_the_fan_out_is_sent_the_difference(
    server: LiveServer,
) -> None:
    """An entry appended without the store's script (a partial restore, a hand-made XADD)
    leaves the event's cursor behind the timeline: a viewer joining after the fan-out sent
    that entry reads a hello from before it, and must still get it, once, before what
    follows."""
    event = await server.create_event()
    watching = await server.viewer(event)
    await watching.next()
    pushed = await server.push(event, "j1")
    assert (await watching.next())["cursor"] == pushed["cursor"]
    conn = server.app[STORE]
    timeline = conn.keys.event(event.id).timeline
    [(_, fields)] = await conn.reader.xrange(timeline, min=pushed["cursor"], max=pushed["cursor"])
    restored = (await conn.reader.xadd(timeline, {"d": fields[b"d"]})).decode()
    assert (await watching.next())["cursor"] == restored  # the fan-out has sent it

    joining = await server.viewer(event)
    hello = await joining.next()
    assert hello["cursor"] == pushed["cursor"]  # the event's cursor, behind the timeline
    later = await server.push(event, "j2")
    got = [await joining.next(), await joining.next()]
    assert [m["cursor"] for m in got] == [restored, later["cursor"]]
    assert (await watching.next())["cursor"] == later["cursor"]
    await watching.close()
    await joining.close()
