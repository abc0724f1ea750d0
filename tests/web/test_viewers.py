"""The viewer websocket: hello, cards, resume, apply, msgpack, limits and origins."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable

import aiohttp
import msgpack
import pytest

from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import LiveServer


async def test_hello_carries_the_current_card(server: LiveServer) -> None:
    event = await server.create_event()
    pushed = await server.push(event, "j3")
    viewer = await server.viewer(event)
    hello = await viewer.next()
    assert hello["type"] == "hello"
    assert hello["event"]["id"] == event.id and hello["event"]["state"] == "live"
    assert hello["card"]["card_id"] == pushed["card_id"]
    assert hello["cursor"] == pushed["cursor"]
    await viewer.close()


async def test_withdraw_and_state_reach_viewers_in_order(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    await server.push(event, "j1")
    await server.call("DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token)
    await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    kinds = [(await viewer.next())["type"] for _ in range(3)]
    assert kinds == ["card", "withdraw", "state"]
    await viewer.close()


async def test_resume_receives_everything_missed_in_order(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    hello = await viewer.next()
    first = await server.push(event, "j1")
    seen = await viewer.next_of("card")
    cursor = seen["cursor"]
    assert cursor == first["cursor"]
    await viewer.close()
    missed = [await server.push(event, job) for job in ("j2", "j3", "j1")]
    resumed = await server.viewer(event, since=cursor)
    hello = await resumed.next()
    assert hello["type"] == "hello" and hello["resumed"] is True and hello["cursor"] == cursor
    got = [await resumed.next_of("card") for _ in missed]
    assert [m["card"]["card_id"] for m in got] == [p["card_id"] for p in missed]
    live = await server.push(event, "j2")
    assert (await resumed.next_of("card"))["card"]["card_id"] == live["card_id"]
    await resumed.close()


@pytest.mark.parametrize("since", ["garbage", "99999999999999-0", "1-1"])
async def test_unknown_cursor_gets_a_resync(server: LiveServer, since: str) -> None:
    event = await server.create_event()
    pushed = await server.push(event, "j1")
    viewer = await server.viewer(event, since=since)
    hello = await viewer.next()
    assert hello["resync"] is True and hello["resumed"] is False
    assert hello["card"]["card_id"] == pushed["card_id"] and hello["cursor"] == pushed["cursor"]
    await viewer.close()


async def test_apply_over_the_socket(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    await viewer.send(
        {
            "type": "apply",
            "ref": "a1",
            "job_id": "j1",
            "name": "王五",
            "phone": "13700001111",
            "consent": True,
        }
    )
    applied = await viewer.next_of("applied")
    assert applied["ref"] == "a1" and applied["duplicate"] is False
    await viewer.send(
        {"type": "apply", "ref": 2, "job_id": "j1", "name": "王五", "phone": "137 0000 1111"}
    )
    again = await viewer.next_of("applied")
    assert again == {
        "type": "applied",
        "ref": 2,
        "duplicate": True,
        "application_id": applied["application_id"],
        "waitlist": False,
    }
    await viewer.send({"type": "apply", "ref": "bad", "job_id": "j1", "name": "", "phone": "123"})
    error = await viewer.next_of("error")
    assert error["ref"] == "bad" and set(error["fields"]) == {"name", "phone"}
    await viewer.ws.send_str("this is not json")
    error = await viewer.next_of("error")
    assert error["code"] == "malformed"
    await viewer.send({"type": "dance", "ref": "x"})
    assert (await viewer.next_of("error"))["ref"] == "x"
    await server.push(event, "j2")  # the connection is still open and live
    assert (await viewer.next_of("card"))["card"]["job"]["id"] == "j2"
    await viewer.close()


async def test_applies_sent_without_waiting_are_each_answered(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    # A client may send its next apply before the last one is answered (a kiosk, a poor
    # connection flushing its queue): every apply gets its own answer, matched by ``ref``,
    # and a bad one in between is answered at once without holding up the others.
    server = await make_server(apply_rate_per_viewer=0, apply_rate_per_ip=0)
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    count = 40  # more than MAX_APPLIES_IN_FLIGHT: reading waits, and nothing is lost
    for n in range(count):
        phone = f"1370000{n:04d}"
        await viewer.send(
            {"type": "apply", "ref": n, "job_id": "j1", "name": "王五", "phone": phone}
        )
        if n == 5:
            await viewer.send({"type": "apply", "ref": "bad", "job_id": "j1", "phone": "1"})
    answers = {}
    for _ in range(count + 1):
        message = await viewer.next()
        answers[message["ref"]] = message
    assert answers["bad"]["type"] == "error" and set(answers["bad"]["fields"]) == {"name", "phone"}
    ids = {answers[n]["application_id"] for n in range(count)}
    assert {answers[n]["type"] for n in range(count)} == {"applied"} and len(ids) == count
    status, stats = await server.call(
        "GET", f"/api/events/{event.id}/stats", token=event.host_token
    )
    assert status == 200 and stats["applications"] == count
    await viewer.close()


async def test_msgpack_subprotocol(server: LiveServer) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    assert server.session is not None
    ws = await server.session.ws_connect(
        f"{server.url}/ws/events/{event.id}", protocols=("liveevent.msgpack",)
    )
    assert ws.protocol == "liveevent.msgpack"
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.BINARY
    hello = msgpack.unpackb(msg.data, raw=False)
    assert hello["type"] == "hello" and hello["card"]["job"]["id"] == "j1"
    await ws.send_bytes(
        msgpack.packb(
            {"type": "apply", "ref": 1, "job_id": "j1", "name": "赵六", "phone": "13600001111"}
        )
    )
    while True:
        reply = msgpack.unpackb((await ws.receive(timeout=5)).data, raw=False)
        if reply["type"] != "viewers":
            break
    assert reply["type"] == "applied" and reply["ref"] == 1
    await ws.close()


async def test_oversized_frame_closes_with_1009(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    await viewer.ws.send_str("x" * (64 * 1024 + 1))
    msg = await viewer.ws.receive(timeout=5)
    while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
        msg = await viewer.ws.receive(timeout=5)
    assert viewer.ws.close_code == 1009


async def test_foreign_origin_is_refused_before_the_upgrade(server: LiveServer) -> None:
    event = await server.create_event()
    assert server.session is not None
    for origin in ("https://evil.example", "null", f"{server.url}.evil.example"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await server.session.ws_connect(
                f"{server.url}/ws/events/{event.id}", headers={"Origin": origin}
            )
        assert info.value.status == 403
    ws = await server.session.ws_connect(
        f"{server.url}/ws/events/{event.id}", headers={"Origin": server.url}
    )
    await ws.close()


async def test_unknown_event_socket_is_404(server: LiveServer) -> None:
    assert server.session is not None
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await server.session.ws_connect(f"{server.url}/ws/events/nope")
    assert info.value.status == 404


@pytest.mark.slow
async def test_two_hundred_viewers_and_a_hundred_applications(server: LiveServer) -> None:
    """Done-when of issue 2: a push reaches 200 viewers; 100 applications over websocket and
    HTTP are in the stream, the stats and both exports; hires are counted."""
    event = await server.create_event()
    viewers = await asyncio.gather(*(server.viewer(event) for _ in range(200)))
    await asyncio.gather(*(v.next() for v in viewers))
    pushed = await server.push(event, "j1")
    cards = await asyncio.gather(*(v.next_of("card") for v in viewers))
    assert {c["card"]["card_id"] for c in cards} == {pushed["card_id"]}

    async def over_socket(n: int) -> str:
        v = viewers[n]
        await v.send(
            {
                "type": "apply",
                "ref": n,
                "job_id": "j1",
                "name": f"应聘者{n}",
                "phone": f"1390000{n:04d}",
            }
        )
        return str((await v.next_of("applied"))["application_id"])

    async def over_http(n: int) -> str:
        status, body = await server.apply(event, "j2", f"1380000{n:04d}", name=f"应聘者{n}")
        assert status == 201
        return str(body["application_id"])

    ids = await asyncio.gather(
        *(over_socket(n) for n in range(50)), *(over_http(n) for n in range(50))
    )
    assert len(set(ids)) == 100

    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).apps)
    assert len(entries) == 100
    phones = {codec.unpack(fields[b"d"])["phone"] for _sid, fields in entries}
    assert len(phones) == 100

    for application_id in ids[:7]:
        status, _ = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/{application_id}",
            token=event.staff_token,
            json_body={"status": "hired"},
        )
        assert status == 200
    stats = await server.stats(event)
    assert stats["viewers_online"] == 200
    assert (stats["applications"], stats["applicants"], stats["hires"]) == (100, 100, 7)

    _, text = await server.call(
        "GET", f"/api/events/{event.id}/export/applications.csv?form=raw", token=event.staff_token
    )
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 100 and sum(r["status"] == "hired" for r in rows) == 7
    _, text = await server.call(
        "GET", f"/api/events/{event.id}/export/hires.csv?form=raw", token=event.staff_token
    )
    hires = {r["job_id"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert (hires["j1"]["applications"], hires["j2"]["applications"]) == ("50", "50")
    assert int(hires["j1"]["hires"]) + int(hires["j2"]["hires"]) == 7
    await asyncio.gather(*(v.close() for v in viewers))
