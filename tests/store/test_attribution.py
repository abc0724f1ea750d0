"""Applications, applicants, hires and viewers counted by city, channel, venue and source, in
the store: the APPLY script's counters, the hired index read, and the rebuild that must give
the same counters again."""

from __future__ import annotations

from typing import Any

from liveevent.domain.applications import ApplyRequest, Source
from liveevent.domain.attribution import Channel, Dimension
from liveevent.store import keys
from liveevent.store.applications import PendingApply
from liveevent.store.purge import purge_event
from liveevent.store.rebuild import rebuild
from liveevent.web.appkeys import APPLICATIONS, ATTRIBUTION, STORE
from tests.support import Event, LiveServer

# (job, phone, city, channel, venue, source) of each application of the scripted fair
APPLIED: list[tuple[str, str, str | None, str | None, str | None, str | None]] = [
    ("j1", "13800000001", "宁波", "wx", None, None),
    ("j2", "13800000001", "宁波", "wx", None, None),  # the same applicant, another job
    ("j1", "13800000002", "杭州", "dy", None, None),
    ("j3", "13800000003", "杭州", None, None, "replay"),
    ("j1", "13800000004", None, "wx", None, None),
    ("j2", "13800000005", None, None, "hall-1", "station"),
    ("j3", "13800000006", "宁波", None, "hall-1", "station"),
]


async def _fair(server: LiveServer) -> tuple[Event, dict[str, str]]:
    event = await server.create_event()
    status, body = await server.call(
        "PUT",
        f"/api/events/{event.id}/cities",
        token=event.staff_token,
        json_body={"cities": ["杭州", "宁波"]},
    )
    assert status == 200, body
    store = server.app[ATTRIBUTION]
    channels = {}
    for name, wanted in (("视频号", "wx"), ("抖音", "dy")):
        stored, _ = await store.add_channel(event.id, Channel(wanted, name, 1))
        channels[wanted] = stored.id
    batch = [
        PendingApply(
            event.id,
            ApplyRequest(
                job,
                "张三",
                phone,
                None,
                True,
                city,
                channels.get(channel or ""),
                venue,
                Source(source) if source else None,
            ),
            "http",
            1_700_000_000_000,
        )
        for job, phone, city, channel, venue, source in APPLIED
    ]
    answers = await server.app[APPLICATIONS].apply_batch(batch)
    ids = [a.application_id for a in answers]  # type: ignore[union-attr]
    for app_id in (ids[0], ids[2], ids[5]):
        status, body = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/{app_id}",
            token=event.staff_token,
            json_body={"status": "hired"},
        )
        assert status == 200, body
    return event, channels


def _rows(figures: Any, dimension: Dimension) -> dict[Any, tuple[int, int]]:
    return {r.value: (r.applications, r.hires) for r in figures.rows[dimension]}


async def test_applications_and_hires_are_counted_by_every_dimension(server: LiveServer) -> None:
    event, ch = await _fair(server)
    figures = await server.app[ATTRIBUTION].figures(event.id)
    assert (figures.applications, figures.hires) == (7, 3)
    assert _rows(figures, Dimension.CITY) == {"杭州": (2, 1), "宁波": (3, 1), None: (2, 1)}
    city = {r.value: r.applicants for r in figures.rows[Dimension.CITY]}
    assert (city["杭州"], city["宁波"]) == (2, 2)  # distinct phones
    assert _rows(figures, Dimension.CHANNEL) == {ch["wx"]: (3, 1), ch["dy"]: (1, 1), None: (3, 1)}
    assert _rows(figures, Dimension.CHANNEL_CITY) == {
        f"{ch['wx']}|宁波": (2, 1),
        f"{ch['dy']}|杭州": (1, 1),
    }
    assert _rows(figures, Dimension.VENUE) == {"hall-1": (2, 1), None: (5, 2)}
    assert _rows(figures, Dimension.SOURCE) == {"live": (4, 2), "replay": (1, 0), "station": (2, 1)}


async def test_rebuilt_counters_are_the_ones_the_script_kept(server: LiveServer) -> None:
    event, _ = await _fair(server)
    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    kept = await conn.reader.hgetall(k.counters)
    kept_pairs = await conn.reader.hgetall(k.applicants_city)
    assert any(f.startswith(keys.BY_DIMENSION_PREFIX.encode()) for f in kept)
    await conn.reader.delete(k.counters, k.applicants_city)
    await rebuild(conn, event.id)
    assert await conn.reader.hgetall(k.counters) == kept
    assert await conn.reader.hgetall(k.applicants_city) == kept_pairs


async def test_unique_viewers_by_city_and_channel(server: LiveServer) -> None:
    event, ch = await _fair(server)
    store = server.app[ATTRIBUTION]
    for n in range(5):
        await store.count_viewer(event.id, f"v{n}", city="宁波", channel=ch["wx"])
    await store.count_viewer(event.id, "v0", city="宁波", channel=ch["wx"])  # again: once
    await store.count_viewer(event.id, "v9", city="杭州", channel=None)
    await store.count_viewer(event.id, "v8", city=None, channel=None)
    figures = await store.figures(event.id)
    assert figures.unique_viewers == 7
    assert figures.row(Dimension.CITY, "宁波").viewers == 5  # type: ignore[union-attr]
    assert figures.row(Dimension.CITY, "杭州").viewers == 1  # type: ignore[union-attr]
    assert figures.row(Dimension.CHANNEL, ch["wx"]).viewers == 5  # type: ignore[union-attr]
    pair = figures.row(Dimension.CHANNEL_CITY, f"{ch['wx']}|宁波")
    assert pair is not None and pair.viewers == 5


async def test_a_channel_name_is_one_channel(server: LiveServer) -> None:
    event = await server.create_event()
    store = server.app[ATTRIBUTION]
    first, created = await store.add_channel(event.id, Channel("a1", "视频号", 1))
    again, created_again = await store.add_channel(event.id, Channel("b2", "视频号", 2))
    assert (created, created_again, again) == (True, False, first)
    assert [c.id for c in await store.channels(event.id)] == ["a1"]


async def test_a_new_hire_is_counted_at_the_next_read(server: LiveServer) -> None:
    event, _ = await _fair(server)
    store = server.app[ATTRIBUTION]
    assert (await store.figures(event.id)).row(Dimension.CITY, "杭州").hires == 1  # type: ignore[union-attr]
    for status in ("hired", "rejected", "hired"):  # the 4th application: 杭州, replay
        code, body = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/4",
            token=event.staff_token,
            json_body={"status": status},
        )
        assert code == 200, body
        hires = (await store.figures(event.id)).row(Dimension.CITY, "杭州").hires  # type: ignore[union-attr]
        assert hires == (2 if status == "hired" else 1)


async def test_a_purge_takes_the_phones_by_city_and_keeps_the_figures(server: LiveServer) -> None:
    event, _ = await _fair(server)
    conn = server.app[STORE]
    k = conn.keys.event(event.id)
    before = (await server.app[ATTRIBUTION].figures(event.id)).to_wire()
    assert await conn.reader.exists(k.applicants_city)
    await purge_event(conn, event.id, now=1_800_000_000_000)
    assert not await conn.reader.exists(k.applicants_city)  # it held phones
    await rebuild(conn, event.id)  # a rebuild after the purge cannot recount them: kept
    assert (await server.app[ATTRIBUTION].figures(event.id)).to_wire() == before
