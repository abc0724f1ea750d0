"""Everything derived can be rebuilt from the streams."""

from __future__ import annotations

from liveevent.store.connect import StoreConnection
from liveevent.store.rebuild import rebuild
from liveevent.web.appkeys import STORE
from tests.support import LiveServer


async def test_wiped_derived_keys_come_back_from_the_streams(server: LiveServer) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    ids = [
        (await server.apply(event, "j1", f"1380000000{n}"))[1]["application_id"] for n in range(5)
    ]
    await server.apply(event, "j2", "13800000000", idempotency_key="key-1")
    for app_id, status in (
        (ids[0], "hired"),
        (ids[1], "hired"),
        (ids[1], "rejected"),
        (ids[2], "interviewed"),
    ):
        await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/{app_id}",
            token=event.staff_token,
            json_body={"status": status},
        )
    await server.push(event, "j3")
    await server.call("DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token)
    await server.push(event, "j2")
    before = await server.stats(event)
    _, view_before = await server.call("GET", f"/api/events/{event.id}")

    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    await conn.reader.delete(k.counters, k.dedupe, k.idem, k.appidx, k.current, k.applicants)
    await conn.reader.hset(k.meta, mapping={"card": b"", "card_id": "", "cursor": "0-0"})
    assert (await server.stats(event))["applications"] == 0

    await rebuild(conn, event.id)
    after = await server.stats(event)
    assert {k: v for k, v in after.items() if k != "viewers_online"} == {
        k: v for k, v in before.items() if k != "viewers_online"
    }
    _, view_after = await server.call("GET", f"/api/events/{event.id}")
    assert view_after == view_before
    # The indexes work again: a repeat is a duplicate, a retried key its first answer, and
    # the next application gets the next number.
    code, again = await server.apply(event, "j1", "13800000003")
    assert (code, again["application_id"]) == (200, ids[3])
    code, keyed = await server.apply(event, "j2", "13800000000", idempotency_key="key-1")
    assert code == 201 and keyed["duplicate"] is False
    code, new = await server.apply(event, "j3", "13900000000")
    assert code == 201 and int(new["application_id"]) == 7


async def index_snapshot(conn: StoreConnection, event_id: str) -> dict[str, object]:
    """Every index key of the event (by job, by status, per minute) with its exact contents."""
    base = conn.keys.event(event_id).base
    found: dict[str, object] = {}
    for pattern in (f"{base}:byjob:*", f"{base}:bystatus:*", f"{base}:minutes"):
        async for raw in conn.reader.scan_iter(match=pattern, count=1000):
            key = raw.decode()
            kind = (await conn.reader.type(key)).decode()
            if kind == "list":
                found[key] = await conn.reader.lrange(key, 0, -1)
            elif kind == "zset":
                found[key] = await conn.reader.zrange(key, 0, -1, withscores=True)
            else:
                found[key] = sorted((await conn.reader.hgetall(key)).items())
    return found


async def test_indexes_rebuilt_from_the_streams_are_byte_for_byte_what_the_scripts_kept(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    ids = []
    for n in range(30):
        status, body = await server.apply(event, ("j1", "j2", "j3")[n % 3], f"139{n:08d}")
        assert status == 201, body
        ids.append(body["application_id"])
    for app_ids, target in (
        (ids[:12], "contacted"),
        (ids[5:8], "hired"),
        (ids[6:7], "applied"),
        (ids[20:25], "rejected"),
    ):
        code, body = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications",
            token=event.staff_token,
            json_body={"application_ids": app_ids, "status": target},
        )
        assert code == 200, body
    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    kept = await index_snapshot(conn, event.id)
    assert len(kept[k.by_job("j1")]) == 10  # type: ignore[arg-type]
    assert [m for m, _ in kept[k.by_status("hired")]] == [i.encode() for i in ids[5:8:2]]  # type: ignore[attr-defined]
    assert k.by_status("contacted", "j2") in kept and k.minutes in kept

    # Gone, and wrong: a stale entry and a stray key must not survive the rebuild either.
    await conn.reader.delete(*kept)
    await conn.reader.zadd(k.by_status("offered"), {"999": 999})
    await conn.reader.rpush(k.by_job("j3"), "999")
    await rebuild(conn, event.id)
    assert await index_snapshot(conn, event.id) == kept
