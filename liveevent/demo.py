"""A demo event with a realistic job list, for ``liveevent demo``."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from aiohttp import web

from liveevent.config import Settings
from liveevent.datadir import private_dir, private_file, write_private_text
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.errors import NotFound
from liveevent.store.events import new_token
from liveevent.web.appkeys import EVENTS

DEMO_JOBS = [
    ("中国石化销售股份有限公司", "加油站站长", 6, "8-12千/月", "北京-朝阳区"),
    ("顺丰速运有限公司", "片区运营主管", 20, "9-15千/月", "深圳-南山区"),
    ("国家电网北京电力公司", "输电线路运维员", 15, "7-10千/月", "北京-昌平区"),
    ("中铁建工集团有限公司", "安全员", 30, "6-9千/月", "天津-滨海新区"),
    ("比亚迪股份有限公司", "生产班组长", 50, "7-11千/月", "西安-高新区"),
    ("保利物业服务股份有限公司", "安保主管", 12, "6-8千/月", "广州-天河区"),
    ("京东物流", "仓储管理员", 40, "6-9千/月", "武汉-东西湖区"),
    ("中国联通", "网络维护工程师", 10, "8-13千/月", "成都-武侯区"),
    ("招商局集团", "港口调度员", 8, "9-14千/月", "深圳-蛇口"),
    ("宁德时代新能源科技", "设备维修技师", 25, "8-12千/月", "宁德-蕉城区"),
]


async def seed_demo(app: web.Application, settings: Settings) -> dict[str, Any]:
    """Create the demo event once per data dir (kept in ``demo.json``); returns its ids."""
    path = settings.data_dir / "demo.json"
    events = app[EVENTS]
    if path.exists():
        private_file(path)  # one written by an older version may be 0644
        info: dict[str, Any] = json.loads(path.read_text())
        try:
            await events.event_view(info["event_id"])
            return info
        except NotFound:
            pass  # a store that was reset: make a new demo event
    now = int(time.time() * 1000)
    event = LiveEvent(
        id=secrets.token_hex(5),
        title="退役军人专场直播招聘会",
        starts_at=now + 10 * 60 * 1000,
        stream_url=None,
        created_at=now,
    )
    tokens = {role: new_token() for role in ("host", "staff", "overlay")}
    await events.create_event(event, tokens)
    jobs = [
        Job(
            id=f"job{n + 1}",
            employer=e,
            title=t,
            openings=o,
            openings_max=o,  # an exact count (None would mean "o or more")
            salary=s,
            location=loc,
            description="欢迎退役军人报名，部队经历优先。",
        )
        for n, (e, t, o, s, loc) in enumerate(DEMO_JOBS)
    ]
    await events.upsert_jobs(event.id, jobs)
    await events.set_state(event.id, EventState.LIVE, now=now)
    info = {"event_id": event.id, **{f"{role}_token": tok for role, tok in tokens.items()}}
    private_dir(settings.data_dir)
    write_private_text(path, json.dumps(info))
    return info
