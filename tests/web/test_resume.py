"""Resume, table-driven (as Centrifugo tests recovery): a viewer away while 0, 1, 10 or 300+
timeline entries happened, back with a cursor that is current, old, unknown, from the future
(a store that lost its history) or trimmed away. It gets exactly what it missed, in order,
without duplicates, or ``resync`` with the full current state."""

from __future__ import annotations

from typing import Any

import pytest

from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer


async def _away_while(server: LiveServer, event: Event, missed: int) -> list[str]:
    """Push ``missed`` timeline entries (cards, and a withdraw last); their cursors."""
    cursors = []
    for n in range(missed):
        if n == missed - 1 and missed > 1:
            status, _ = await server.call(
                "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
            )
            assert status == 204
            view = await server.app[STORE].reader.hget(
                server.app[STORE].keys.event(event.id).meta, "cursor"
            )
            cursors.append(view.decode())
        else:
            cursors.append((await server.push(event, ("j1", "j2", "j3")[n % 3]))["cursor"])
    return cursors


async def _current_cursor(server: LiveServer, event: Event) -> str:
    viewer = await server.viewer(event)
    hello = await viewer.next()
    await viewer.close()
    return str(hello["cursor"])


@pytest.mark.parametrize("missed", [0, 1, 10, 300])
async def test_resume_replays_exactly_what_was_missed(server: LiveServer, missed: int) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    since = await _current_cursor(server, event)
    cursors = await _away_while(server, event, missed)

    viewer = await server.viewer(event, since=since)
    hello = await viewer.next()
    assert hello["type"] == "hello" and hello["resumed"] is True and hello["resync"] is False
    replayed = [await viewer.next() for _ in range(missed)]
    assert [m["cursor"] for m in replayed] == cursors  # all of them, in order, once
    if missed > 1:
        assert replayed[-1]["type"] == "withdraw"
        assert all(m["type"] == "card" for m in replayed[:-1])
    live = await server.push(event, "j2")
    after = await viewer.next()
    assert after["type"] == "card" and after["cursor"] == live["cursor"], "a duplicate or a gap"
    await viewer.close()


async def test_resume_from_the_very_start(server: LiveServer) -> None:
    """``0-0`` (an old client that saw nothing): everything on the timeline, in order."""
    event = await server.create_event(live=False)
    cursors = [
        (
            await server.call(
                "POST",
                f"/api/events/{event.id}/state",
                token=event.host_token,
                json_body={"state": "live"},
            )
        )[1]["cursor"]
    ]
    cursors += await _away_while(server, event, 12)
    viewer = await server.viewer(event, since="0-0")
    hello = await viewer.next()
    assert hello["resumed"] is True
    replayed = [await viewer.next() for _ in range(len(cursors))]
    assert [m["cursor"] for m in replayed] == cursors
    assert replayed[0] == {"type": "state", "state": "live", "cursor": cursors[0]}
    await viewer.close()


def _cursor_plus(cursor: str, ms: int) -> str:
    stamp, _, seq = cursor.partition("-")
    return f"{int(stamp) + ms}-{seq}"


@pytest.mark.parametrize(
    "case",
    [
        "unknown",  # well-formed, in range, but not an entry of this timeline
        "future",  # after the newest entry: the store lost its history (restored backup)
        "trimmed",  # the entry was trimmed away
        "garbage",  # not a cursor at all
        # Hand-edited: a sequence past 64 bits, which no stream id can have. It reached the
        # store, whose error went up as a traceback and a broken frame instead of a resync.
        "seq past 64 bits",
        "seq 2**64",
        "superscript digit",  # a digit to str.isdigit, not to int()
        "arabic-indic digits",  # digits to int(), not to the store
    ],
)
async def test_unusable_cursor_gets_resync_with_current_state(
    server: LiveServer, case: str
) -> None:
    event = await server.create_event()
    since = await _current_cursor(server, event)
    cursors = await _away_while(server, event, 5)
    current_card = (await server.push(event, "j3"))["card_id"]
    if case == "unknown":
        stamp, _, seq = since.partition("-")
        since = f"{stamp}-{int(seq) + 1000}"
    elif case == "future":
        since = _cursor_plus(cursors[-1], 3_600_000)
    elif case == "trimmed":
        conn = server.app[STORE]
        await conn.reader.xtrim(conn.keys.event(event.id).timeline, maxlen=2, approximate=False)
    elif case == "seq past 64 bits":
        since = f"{since.partition('-')[0]}-{'9' * 25}"
    elif case == "seq 2**64":
        since = f"{since.partition('-')[0]}-{2**64}"
    elif case == "superscript digit":
        since = f"{since.partition('-')[0]}-²"
    elif case == "arabic-indic digits":
        since = f"{since.partition('-')[0]}-٠"
    else:
        since = "not-a-cursor"

    viewer = await server.viewer(event, since=since)
    hello: dict[str, Any] = await viewer.next()
    assert hello["type"] == "hello"
    assert hello["resumed"] is False and hello["resync"] is True, hello
    assert hello["card"]["card_id"] == current_card  # the full current state
    assert hello["event"]["state"] == "live"
    live = await server.push(event, "j1")
    after = await viewer.next()
    assert after["type"] == "card" and after["cursor"] == live["cursor"], "replayed after resync"
    await viewer.close()
