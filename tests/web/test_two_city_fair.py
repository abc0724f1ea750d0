"""The scripted two-city fair of issue 16, end to end on a real server and store.

Two hosts (杭州, 宁波 studios) push in turn; viewers from two cities and three channels say
hello and apply over the viewer socket and over HTTP; two venues check people in; a station
applies for three people while its network drops (a ``FaultProxy`` between it and the app:
one reply lost after the server stored the application, one connection reset before it got
there), retrying with its idempotency keys; two employers record intents and hires through
their own API; viewers' cards get the positions remaining live. The test keeps its own log
(``Fair`` below) and, at the end, every figure of the fair report, of ``/stats`` and of the
exports is checked against the count computed from that log.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from openpyxl import load_workbook

from liveevent.domain.consent import CURRENT_VERSION
from tests.faultproxy import FaultProxy, Mode
from tests.ledger import Ledger
from tests.support import ADMIN_TOKEN, Event, LiveServer, ViewerClient, eventually

SF = "顺丰速运（杭州）有限公司"
PORT = "宁波舟山港集团"
OTHER = "吉利汽车宁波基地"
JOBS: list[dict[str, Any]] = [
    {"id": "hz1", "employer": SF, "title": "快递员", "openings": 3, "city": "杭州"},
    {"id": "hz2", "employer": SF, "title": "仓管", "openings": 2, "openings_max": 4,
     "city": "杭州"},
    {"id": "nb1", "employer": PORT, "title": "理货员", "openings": 2, "city": "宁波"},
    {"id": "nb2", "employer": OTHER, "title": "班组长", "openings": None, "openings_max": None,
     "city": "宁波"},
]  # fmt: skip
# The report's openings rule (domain/fair_report.py): a range counts its low end, unknown 0.
OPENINGS = {"hz1": 3, "hz2": 2, "nb1": 2, "nb2": 0}
CITY_OF: dict[str, str] = {job["id"]: job["city"] for job in JOBS}
EMPLOYER_OF: dict[str, str] = {job["id"]: job["employer"] for job in JOBS}


@dataclass
class Applied:
    job: str
    phone: str
    city: str | None
    channel: str | None
    venue: str | None
    application_id: str


@dataclass
class Fair:
    """The test's own log of what it did and what the server acknowledged."""

    applications: list[Applied] = field(default_factory=list)
    viewers: list[tuple[str, str, str]] = field(default_factory=list)  # (id, city, channel)
    checkins: list[tuple[str, str]] = field(default_factory=list)  # (venue, phone)
    intents: set[str] = field(default_factory=set)
    hires: set[str] = field(default_factory=set)

    def job_of(self, application_id: str) -> str:
        return next(a.job for a in self.applications if a.application_id == application_id)

    def count(self, **match: object) -> int:
        return sum(all(getattr(a, k) == v for k, v in match.items()) for a in self.applications)

    def hired(self, **match: object) -> int:
        return sum(
            all(getattr(a, k) == v for k, v in match.items())
            for a in self.applications
            if a.application_id in self.hires
        )

    def now_intent(self) -> set[str]:
        return self.intents - self.hires


async def _post(server: LiveServer, path: str, token: str, body: Any) -> Any:
    status, reply = await server.call("POST", path, token=token, json_body=body)
    assert status == 201, (path, reply)
    return reply


async def _set_up(server: LiveServer) -> tuple[Event, dict[str, Any]]:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={"title": "杭甬两地专场", "cities": ["杭州", "宁波"]},
    )
    assert status == 201, body
    event = Event(body["id"], body["host_token"], body["staff_token"], body["overlay_token"])
    base = f"/api/events/{event.id}"
    status, body = await server.call(
        "POST", f"{base}/jobs", token=event.staff_token, json_body=JOBS
    )
    assert status in (200, 201), body
    status, body = await server.call(
        "POST", f"{base}/state", token=event.host_token, json_body={"state": "live"}
    )
    assert status == 200, body
    made: dict[str, Any] = {}
    made["hosts"] = [
        (await _post(server, f"{base}/hosts", event.staff_token, {"name": n}))["token"]
        for n in ("杭州演播室", "宁波演播室")
    ]
    made["channels"] = {
        n: (await _post(server, f"{base}/channels", event.staff_token, {"name": n}))["id"]
        for n in ("视频号", "抖音", "公众号")
    }
    made["venues"] = {}
    for name, city in (("杭州主会场", "杭州"), ("宁波分会场", "宁波")):
        venue = await _post(
            server, f"{base}/venues", event.staff_token, {"name": name, "city": city}
        )
        made["venues"][name] = (venue["venue"]["id"], venue["station"]["token"])
    made["employers"] = {
        name: (
            await _post(
                server, f"{base}/employers", event.staff_token, {"name": name, "contact": "王经理"}
            )
        )["token"]
        for name in (SF, PORT)
    }
    return event, made


def _consent(job: str) -> dict[str, Any]:
    return {"consent": True, "consent_version": CURRENT_VERSION, "consent_to": EMPLOYER_OF[job]}


async def _ws_apply(
    viewer: ViewerClient, fair: Fair, job: str, phone: str, city: str, channel: str
) -> None:
    ref = f"{job}-{phone}"
    await viewer.send(
        {"type": "apply", "ref": ref, "job_id": job, "name": "张三", "phone": phone,
         "city": city, "channel": channel, **_consent(job)}
    )  # fmt: skip
    answer = await viewer.next_of("applied")
    assert answer["ref"] == ref and answer["duplicate"] is False, answer
    fair.applications.append(Applied(job, phone, city, channel, None, answer["application_id"]))


async def _station_apply(
    session: aiohttp.ClientSession, url: str, token: str, person: dict[str, Any]
) -> tuple[int, Any]:
    async with session.post(url, json=person, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def _openings_seen(viewers: list[ViewerClient], job: str, hires: int) -> None:
    """Every viewer socket receives the job's new hire count (positions remaining)."""
    for viewer in viewers:
        while True:
            message = await viewer.next_of("openings")
            if message["job_id"] == job and message["hires"] == hires:
                break


async def test_a_scripted_two_city_fair_reports_what_happened(server: LiveServer) -> None:
    event, made = await _set_up(server)
    base = f"/api/events/{event.id}"
    fair = Fair()
    channels = made["channels"]
    hz_host, nb_host = made["hosts"]

    # Viewers: two cities x three channels, each says hello once (a unique viewer).
    plan = [(city, name) for city in ("杭州", "宁波") for name in ("视频号", "抖音", "公众号")] + [
        ("宁波", "视频号")
    ]
    viewers: list[ViewerClient] = []
    for n, (city, name) in enumerate(plan):
        viewer = await server.viewer(event)
        await viewer.next_of("hello")
        await viewer.send(
            {"type": "hello", "viewer": f"v{n}", "city": city, "channel": channels[name]}
        )
        viewers.append(viewer)
        fair.viewers.append((f"v{n}", city, channels[name]))

    # The 杭州 studio pushes hz1; every viewer sees it; viewers apply over the socket.
    status, pushed = await server.call(
        "POST", f"{base}/cards", token=hz_host, json_body={"job_id": "hz1"}
    )
    assert status == 201, pushed
    for viewer in viewers:
        assert (await viewer.next_of("card"))["card"]["job"]["id"] == "hz1"
    phone = iter(f"1380000{n:04d}" for n in range(1, 1000))
    for viewer, (_vid, city, channel) in zip(viewers[:5], fair.viewers[:5], strict=True):
        await _ws_apply(viewer, fair, "hz1", next(phone), city, channel)
    # ... and over HTTP (one of them to the other 杭州 job).
    for job, city, name in (("hz2", "杭州", "抖音"), ("hz1", "宁波", "公众号")):
        number = next(phone)
        status, body = await server.apply(
            event, job, number, city=city, channel=channels[name], **_consent(job)
        )
        assert status == 201, body
        fair.applications.append(
            Applied(job, number, city, channels[name], None, body["application_id"])
        )

    # The 宁波 studio pushes in its turn.
    status, pushed = await server.call(
        "POST", f"{base}/cards", token=nb_host, json_body={"job_id": "nb1"}
    )
    assert status == 201, pushed
    for viewer in viewers:
        assert (await viewer.next_of("card"))["card"]["job"]["id"] == "nb1"
    for viewer, (_vid, city, channel) in zip(viewers[3:], fair.viewers[3:], strict=True):
        await _ws_apply(viewer, fair, "nb1", next(phone), city, channel)
    number = next(phone)
    await _ws_apply(viewers[0], fair, "nb2", number, "杭州", channels["视频号"])

    # Two venues check people in (one person twice: counted once).
    for venue_name, count in (("杭州主会场", 3), ("宁波分会场", 2)):
        venue_id = made["venues"][venue_name][0]
        for _ in range(count):
            number = next(phone)
            person = {"name": "赵六", "phone": number, "consent": True}
            status, body = await server.call(
                "POST", f"{base}/venues/{venue_id}/checkins", json_body=person
            )
            assert status == 201, body
            fair.checkins.append((venue_id, number))
    status, _ = await server.call("POST", f"{base}/venues/{venue_id}/checkins", json_body=person)
    assert status == 200  # the same person again: not counted twice

    # The 宁波 station applies for three people through a flaky network.
    nb_venue, station_token = made["venues"]["宁波分会场"]
    proxy = FaultProxy("127.0.0.1", server.port)
    await proxy.start()
    ledger = Ledger()
    station_url = f"http://127.0.0.1:{proxy.port}{base}/venues/{nb_venue}/applications"
    timeout = aiohttp.ClientTimeout(total=3)
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True), timeout=timeout
        ) as station:
            faults = ("none", "reply lost", "connection reset")
            for n, fault in enumerate(faults):
                number = next(phone)
                key = f"station-{event.id}-{n}"
                person = {"job_id": "nb1", "name": "钱七", "phone": number, "city": "宁波",
                          "idempotency_key": key, **_consent("nb1")}  # fmt: skip
                if fault == "reply lost":
                    proxy.lose_reply_of(key.encode())
                elif fault == "connection reset":
                    proxy.set_mode(Mode.RESET)
                answer: Any = None
                attempts = 0
                for _ in range(5):  # the station's queue: send again, same key
                    ledger.attempted("nb1", number)
                    attempts += 1
                    try:
                        status, answer = await _station_apply(
                            station, station_url, station_token, person
                        )
                    except (TimeoutError, aiohttp.ClientError):
                        ledger.unknown("nb1", number)
                        proxy.set_mode(Mode.FORWARD)  # the venue's network comes back
                        continue
                    assert status == 201, answer
                    break
                assert attempts == (1 if fault == "none" else 2), fault  # the fault happened
                ledger.acknowledged("nb1", number, answer["application_id"])
                fair.applications.append(
                    Applied("nb1", number, "宁波", None, nb_venue, answer["application_id"])
                )
    finally:
        await proxy.stop()
    assert server.settings.redis_url is not None
    checked = await ledger.check(
        server.settings.redis_url.reveal(), server.settings.key_prefix, event.id
    )
    # Only the station's people were in this ledger: every other stored one is "unexpected".
    assert not (checked.lost or checked.duplicated or checked.mismatched), checked.summary()
    assert checked.stored == len(fair.applications)

    # Employers record intents and hires through their own API; viewers' cards follow.
    async def employer_sets(name: str, application_id: str, status_to: str) -> None:
        status, reply = await server.call(
            "PATCH",
            f"{base}/employer/applications/{application_id}",
            token=made["employers"][name],
            json_body={"status": status_to},
        )
        assert status == 200, reply
        if status_to == "intent":
            fair.intents.add(application_id)
        if status_to == "hired":
            fair.hires.add(application_id)

    ids = {job: [a.application_id for a in fair.applications if a.job == job] for job in CITY_OF}
    for application_id in ids["hz1"][:3]:
        await employer_sets(SF, application_id, "intent")
    await employer_sets(SF, ids["hz1"][0], "hired")
    await _openings_seen(viewers, "hz1", 1)
    await employer_sets(PORT, ids["nb1"][0], "intent")
    for n, application_id in enumerate(ids["nb1"][-2:]):  # two of the station's people
        await employer_sets(PORT, application_id, "hired")
        await _openings_seen(viewers, "nb1", n + 1)
    status, cards = await server.call("GET", f"{base}/cards")
    assert cards["hires"]["nb1"] == 2  # nb1 is filled: 2 openings, 2 hires

    # Peak viewers: every socket was open at once.
    async def peak_counted() -> bool:
        _, report = await server.call("GET", f"{base}/report", token=event.staff_token)
        return bool(report["overview"]["viewers_peak"] == len(viewers))

    assert await eventually(peak_counted, 10)
    for viewer in viewers:
        await viewer.close()

    # The report, checked figure by figure against the log.
    status, report = await server.call("GET", f"{base}/report", token=event.staff_token)
    assert status == 200, report
    phones = {a.phone for a in fair.applications}
    overview = report["overview"]
    expected_overview = {
        "employers": 3,
        "jobs": 4,
        "openings": sum(OPENINGS.values()),
        "ranged": 1,
        "unknown": 1,
        "unique_viewers": len({v for v, _c, _ch in fair.viewers}),
        "checkins": len(set(fair.checkins)),
        "applications": len(fair.applications),
        "applicants": len(phones),
        "intents": len(fair.now_intent()),
        "hires": len(fair.hires),
        "ratio": round(sum(OPENINGS.values()) / len(phones), 2),
    }
    assert {k: overview[k] for k in expected_overview} == expected_overview
    assert overview["viewers_peak"] == len(viewers)

    def rows(section: str) -> dict[Any, dict[str, Any]]:
        return {tuple(r["label"]) if len(r["label"]) > 1 else r["label"][0]: r
                for r in report[section]}  # fmt: skip

    by_city = rows("by_city")
    for city in ("杭州", "宁波"):
        row = by_city[city]
        city_jobs = [j for j, c in CITY_OF.items() if c == city]
        assert row["jobs"] == len(city_jobs)
        assert row["openings"] == sum(OPENINGS[j] for j in city_jobs)
        assert row["unique_viewers"] == sum(c == city for _v, c, _ch in fair.viewers)
        assert row["applications"] == fair.count(city=city)
        assert row["applicants"] == len({a.phone for a in fair.applications if a.city == city})
        assert row["hires"] == fair.hired(city=city)
    names = {v: k for k, v in channels.items()}
    by_channel = rows("by_channel")
    for channel_id, name in names.items():
        row = by_channel[name]
        assert row["unique_viewers"] == sum(ch == channel_id for _v, _c, ch in fair.viewers)
        assert row["applications"] == fair.count(channel=channel_id)
        assert row["hires"] == fair.hired(channel=channel_id)
    assert by_channel[None]["applications"] == fair.count(channel=None)
    by_channel_city = rows("by_channel_city")
    for channel_id, name in names.items():
        for city in ("杭州", "宁波"):
            row = by_channel_city.get((name, city), {"applications": 0, "hires": 0})
            assert row["applications"] == fair.count(channel=channel_id, city=city)
            assert row["hires"] == fair.hired(channel=channel_id, city=city)
    by_venue = rows("by_venue")
    for venue_name, (venue_id, _token) in made["venues"].items():
        row = by_venue[venue_name]
        assert row["checkins"] == sum(v == venue_id for v, _p in set(fair.checkins))
        assert row["applications"] == fair.count(venue=venue_id)
        assert row["hires"] == fair.hired(venue=venue_id)
    by_job = {r["label"][3]: r for r in report["by_job"]}
    for job, city in CITY_OF.items():
        row = by_job[job]
        assert row["label"][:3] == [EMPLOYER_OF[job], row["label"][1], city]
        assert row["openings"] == OPENINGS[job]
        assert row["applications"] == row["applicants"] == fair.count(job=job)
        assert row["intents"] == sum(fair.job_of(i) == job for i in fair.now_intent())
        assert row["hires"] == fair.hired(job=job)
    by_employer = rows("by_employer")
    for employer in (SF, PORT, OTHER):
        own = [j for j, e in EMPLOYER_OF.items() if e == employer]
        row = by_employer[employer]
        assert row["jobs"] == len(own)
        assert row["openings"] == sum(OPENINGS[j] for j in own)
        assert row["applications"] == sum(fair.count(job=j) for j in own)
        assert row["intents"] == sum(fair.job_of(i) in own for i in fair.now_intent())
        assert row["hires"] == sum(fair.hired(job=j) for j in own)

    # The same numbers in /stats and in the hires export (part 6: they agree).
    stats = await server.stats(event)
    for key in ("applications", "applicants", "hires"):
        assert stats[key] == overview[key]
    assert stats["unique_viewers"] == overview["unique_viewers"]
    for city_row in stats["by_city"]:
        if city_row["city"] is not None:
            assert city_row["applications"] == by_city[city_row["city"]]["applications"]
            assert city_row["hires"] == by_city[city_row["city"]]["hires"]
    assert stats["onsite"]["checked_in"] == overview["checkins"]
    status, text = await server.call(
        "GET", f"{base}/export/hires.csv?form=raw", token=event.staff_token
    )
    assert status == 200
    exported = {r["job_id"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    for job, row in by_job.items():
        assert int(exported[job]["applications"]) == row["applications"]
        assert int(exported[job]["hires"]) == row["hires"]

    # The workbook holds the same overview, with Chinese and English headers.
    assert server.session is not None
    async with server.session.get(
        f"{server.url}{base}/export/report.xlsx",
        headers={"Authorization": f"Bearer {event.staff_token}"},
    ) as resp:
        assert resp.status == 200
        book = load_workbook(io.BytesIO(await resp.read()), read_only=True)
    sheet_rows = list(book["概览 Overview"].iter_rows(values_only=True))
    values = {row[1]: row[2] for row in sheet_rows if len(row) > 2 and row[1]}
    assert values["Applications"] == len(fair.applications)
    assert values["Hires"] == len(fair.hires)
    assert values["Openings per applicant"] == expected_overview["ratio"]
    city_sheet = list(book["按城市 By city"].iter_rows(values_only=True))
    assert city_sheet[0][0] == "城市" and city_sheet[1][0] == "City"
    assert Counter(r[0] for r in city_sheet[2:])["杭州"] == 1
