"""A demo two-city fair for ``liveevent demo`` (issue 16): 杭州 and 宁波, one broadcast.

The event has two cities, a job list in both, two venues (a hall in each city) and a veterans'
service station, three channels (视频号, 抖音, 公众号), two named hosts (one per studio) and
two employer links. ``seed_demo`` makes it once per data dir (kept in ``demo.json``, private)
and ``demo_links`` lists every link a person running it needs; ``serve`` prints them.
"""

from __future__ import annotations

import json
import secrets
import time
import unicodedata
from typing import Any

from aiohttp import web

from liveevent.config import Settings
from liveevent.datadir import private_dir, private_file, write_private_text
from liveevent.domain.access import Grant, Role
from liveevent.domain.attribution import Channel
from liveevent.domain.employers import employer_key
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.domain.venues import Venue, VenueKind
from liveevent.errors import NotFound
from liveevent.store.attribution import AttributionStore
from liveevent.store.employers import EmployerBook
from liveevent.store.events import new_token
from liveevent.store.venues import VenueStore
from liveevent.web.appkeys import APPLICATIONS, EVENTS

CITIES = ("杭州", "宁波")
# (employer, title, openings, openings_max, salary, location, city)
DEMO_JOBS = [
    ("顺丰速运（杭州）有限公司", "片区运营主管", 20, 20, "9-15千/月", "杭州-余杭区", "杭州"),
    ("顺丰速运（杭州）有限公司", "仓储管理员", 10, 20, "6-9千/月", "杭州-萧山区", "杭州"),
    ("国家电网杭州供电公司", "输电线路运维员", 15, 15, "7-10千/月", "杭州-西湖区", "杭州"),
    ("中铁建工集团有限公司", "安全员", 30, 30, "6-9千/月", "杭州-滨江区", "杭州"),
    ("保利物业服务股份有限公司", "安保主管", None, None, "6-8千/月", "杭州-上城区", "杭州"),
    ("宁波舟山港集团", "港口调度员", 8, 8, "9-14千/月", "宁波-北仑区", "宁波"),
    ("宁波舟山港集团", "理货员", 12, 12, "6-9千/月", "宁波-镇海区", "宁波"),
    ("吉利汽车宁波基地", "生产班组长", 50, None, "7-11千/月", "宁波-杭州湾新区", "宁波"),
    ("中国联通宁波分公司", "网络维护工程师", 10, 10, "8-13千/月", "宁波-鄞州区", "宁波"),
    ("宁德时代新能源科技", "设备维修技师", 25, 25, "8-12千/月", "宁波-前湾新区", "宁波"),
]
HOSTS = ("杭州演播室", "宁波演播室")
VENUES = (
    ("杭州主会场", VenueKind.HALL, "杭州"),
    ("宁波分会场", VenueKind.HALL, "宁波"),
    ("鄞州区退役军人服务站", VenueKind.STATION, "宁波"),
)
CHANNELS = ("视频号", "抖音", "公众号")
EMPLOYERS = (
    ("顺丰速运（杭州）有限公司", "王经理 0571-88880000"),
    ("宁波舟山港集团", "李经理 0574-86660000"),
)


async def seed_demo(app: web.Application, settings: Settings) -> dict[str, Any]:
    """Create the demo fair once per data dir (kept in ``demo.json``); returns its ids and
    tokens: ``{"event_id", "host_token", "staff_token", "overlay_token", "hosts": [{"name",
    "token"}], "venues": [{"id", "name", "station_token"}], "channels": [{"id", "name"}],
    "employers": [{"name", "token"}]}``. Raises ``StoreUnavailable``."""
    path = settings.data_dir / "demo.json"
    events = app[EVENTS]
    if path.exists():
        private_file(path)  # one written by an older version may be 0644
        info: dict[str, Any] = json.loads(path.read_text())
        try:
            await events.event_view(info["event_id"])
            if "hosts" in info:  # one made before the two-city demo: make a new one
                return info
        except NotFound:
            pass  # a store that was reset: make a new demo event
    now = int(time.time() * 1000)
    event = LiveEvent(
        id=secrets.token_hex(5),
        title="杭甬两地退役军人专场直播招聘会",
        starts_at=now + 10 * 60 * 1000,
        stream_url=None,
        created_at=now,
        cities=CITIES,
    )
    tokens = {role: new_token() for role in ("host", "staff", "overlay")}
    await events.create_event(event, tokens)
    jobs = [
        Job(
            id=f"job{n + 1}",
            employer=e,
            title=t,
            openings=o,
            openings_max=m,
            salary=s,
            location=loc,
            description="欢迎退役军人报名，部队经历优先。",
            city=city,
        )
        for n, (e, t, o, m, s, loc, city) in enumerate(DEMO_JOBS)
    ]
    await events.upsert_jobs(event.id, jobs)
    info = {"event_id": event.id, **{f"{role}_token": tok for role, tok in tokens.items()}}
    info["hosts"] = [
        {"name": name, "token": await events.add_grant(event.id, Grant(Role.HOST, name, None, now))}
        for name in HOSTS
    ]
    venues = VenueStore(events.conn)
    info["venues"] = []
    for n, (name, kind, city) in enumerate(VENUES):
        venue = Venue(id=f"{n + 1:08x}", name=name, kind=kind, city=city, created_at=now)
        await venues.add_venue(event.id, venue)
        station = Grant(Role.STATION, name, scope=venue.id, created_at=now)
        token = await events.add_grant(event.id, station)
        info["venues"].append({"id": venue.id, "name": name, "station_token": token})
    attribution = AttributionStore(events, app[APPLICATIONS])
    info["channels"] = []
    for n, name in enumerate(CHANNELS):
        channel, _ = await attribution.add_channel(
            event.id, Channel(id=f"c{n + 1}", name=name, created_at=now)
        )
        info["channels"].append({"id": channel.id, "name": channel.name})
    book = EmployerBook(events.conn, app[APPLICATIONS])
    info["employers"] = []
    for name, contact in EMPLOYERS:
        grant = Grant(Role.EMPLOYER, name, scope=name, created_at=now)
        token = await events.add_grant(event.id, grant)
        await book.save(event.id, employer_key(name), name=name, contact=contact, now=now)
        info["employers"].append({"name": name, "token": token})
    await events.set_state(event.id, EventState.LIVE, now=now)
    private_dir(settings.data_dir)
    write_private_text(path, json.dumps(info, ensure_ascii=False))
    return info


def demo_links(info: dict[str, Any], base: str) -> list[tuple[str, str]]:
    """Every link of the demo fair, as ``(what, url)`` under ``base`` (no trailing slash):
    the viewer page, then per city and channel, host consoles, staff page, overlay, venues' check-in
    pages and stations, employer pages, the fair report. Raises ``KeyError`` for an ``info``
    without the fields ``seed_demo`` writes."""
    e = info["event_id"]
    links = [("Viewer page", f"{base}/e/{e}")]
    links += [(f"Viewer page, {city}", f"{base}/e/{e}?city={city}") for city in CITIES]
    links += [
        (f"Viewer page via {c['name']}", f"{base}/e/{e}?ch={c['id']}") for c in info["channels"]
    ]
    links.append(("Host console (built-in host)", f"{base}/host/{e}#token={info['host_token']}"))
    links += [
        (f"Host console, {h['name']}", f"{base}/host/{e}#token={h['token']}") for h in info["hosts"]
    ]
    links.append(("Staff page", f"{base}/staff/{e}#token={info['staff_token']}"))
    links.append(("OBS overlay", f"{base}/overlay/{e}?token={info['overlay_token']}"))
    for v in info["venues"]:
        links.append((f"Check-in, {v['name']}", f"{base}/checkin/{e}?venue={v['id']}"))
        links.append((f"Station, {v['name']}", f"{base}/station/{e}#token={v['station_token']}"))
    links += [
        (f"Employer page, {m['name']}", f"{base}/employer/{e}#token={m['token']}")
        for m in info["employers"]
    ]
    links.append(
        ("Fair report (XLSX, staff token as Bearer)", f"{base}/api/events/{e}/export/report.xlsx")
    )
    return links


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: East Asian wide and full-width characters
    (Chinese names) take two, the rest one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def link_lines(links: list[tuple[str, str]]) -> list[str]:
    """``links`` (``(what, url)`` pairs, as `demo_links` gives them) as lines ``what: url``,
    every url starting in the same terminal column however many Chinese characters the
    names hold."""
    width = max((_columns(what) for what, _ in links), default=0) + 2
    return [f"{what}:{' ' * (width - _columns(what) - 1)}{url}" for what, url in links]
