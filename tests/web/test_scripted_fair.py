"""Issue 17's scripted flow in one test: a fair before, during and after its broadcast.

Sign-ups (one twice), reminders that reach a real local webhook once each across an app
restart mid-send, the broadcast (a card pushed, sign-ups watching, live applications), replay
applications after it with the card that was showing, hires told to the applicants who asked
(status notices through the same webhook), follow-up marks at 7 and 30 days by staff and an
employer, then the report: the funnel, the fair report with its retention, the follow-up
figures. Every figure is checked against ``Log``, what the test itself did.

During the broadcast viewers ask about the card on screen; the host approves one, hides one,
and the employer answers one from its own link; a viewer's socket sees the shown ones under the
card. Hires dated 8 and 31 days ago are recorded through the store's own status change with
that date (a test cannot wait a month); the rest go through the HTTP API with the present time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from liveevent.domain.applications import Status
from liveevent.domain.followups import DAY_MS
from liveevent.domain.notices import parse_offsets
from liveevent.web.appkeys import APPLICATIONS, OUTBOX
from tests.support import ADMIN_TOKEN, LiveServer, eventually
from tests.web.test_signups import in_days, scheduled_event, sign_up
from tests.webhook import Receiver

SECRET = "test-webhook-secret"
MP4 = "https://media.example.cn/fairs/2026-05/recording.mp4"
SF = "顺丰速运"  # j1, the one job of tests.web.test_signups.scheduled_event


@dataclass
class Log:
    """What the test did, to check every figure against."""

    signed_up: dict[str, str] = field(default_factory=dict)  # phone -> sign-up id
    watched: set[str] = field(default_factory=set)  # phones
    applications: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # id -> (phone, job, source)
    asked_to_be_told: set[str] = field(default_factory=set)  # application ids
    hired: dict[str, float] = field(default_factory=dict)  # application id -> days ago
    told: list[tuple[str, str]] = field(default_factory=list)  # (phone, status)
    marks: dict[tuple[str, str], str] = field(default_factory=dict)  # (app, check) -> result
    questions: dict[str, str] = field(default_factory=dict)  # question id -> its last state

    def apply(self, app_id: str, phone: str, job: str, source: str, notify: bool) -> None:
        self.applications[app_id] = (phone, job, source)
        if notify:
            self.asked_to_be_told.add(app_id)

    def hire(self, app_id: str, days_ago: float) -> None:
        self.hired[app_id] = days_ago
        if app_id in self.asked_to_be_told:
            self.told.append((self.applications[app_id][0], "hired"))


def of_kind(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    """The notices of one kind the receiver took."""
    return [b for b in receiver.bodies if b["kind"] == kind]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(SECRET.encode())
    await hook.start()
    yield hook
    await hook.stop()


async def call(
    server: LiveServer, method: str, path: str, token: str | None, body: Any = None
) -> Any:
    status, reply = await server.call(method, path, token=token, json_body=body)
    assert status in (200, 201), (method, path, status, reply)
    return reply


async def test_a_fair_from_sign_ups_to_retention(settings: Settings, receiver: Receiver) -> None:
    settings = replace(
        settings,
        notify_webhook_url=receiver.url,
        notify_secret=Secret(SECRET),
        notify_poll_s=0.05,
        notify_concurrency=2,
        notify_reminders=parse_offsets("30m,live"),
    )
    log = Log()
    first = LiveServer(settings)
    await first.start()
    event = await scheduled_event(first, starts_at=in_days(1))
    base = f"/api/events/{event.id}"
    staff = event.staff_token
    await call(first, "PUT", f"{base}/status-notices", staff, {"enabled": True})

    # 1. Sign-ups before the broadcast; one phone signs up twice.
    phones = [f"1390000{i:04d}" for i in range(12)]
    for phone in phones:
        status, reply = await sign_up(first, event, phone)
        assert status == 201, reply
        log.signed_up[phone] = reply["signup_id"]
    status, reply = await sign_up(first, event, phones[0])
    assert status == 200 and reply["duplicate"] is True

    # 2. Go live: the go-live reminders go out; the app restarts mid-send.
    receiver.delay_s = 0.05
    await call(first, "POST", f"{base}/state", event.host_token, {"state": "live"})
    assert await eventually(lambda: len(receiver.accepted) >= 2, 20)
    await first.stop()
    assert len(receiver.accepted) < len(phones)
    server = LiveServer(settings, port=first.port)
    await server.start()
    try:
        receiver.delay_s = 0.0
        assert await eventually(lambda: len(of_kind(receiver, "live")) >= len(phones), 30)

        # 3. The broadcast: a card, sign-ups watching, applications (some ask to be told).
        card = await call(server, "POST", f"{base}/cards", event.host_token, {"job_id": "j1"})
        for phone in phones[:8]:
            await call(server, "POST", f"{base}/signups/{log.signed_up[phone]}/watched", None)
            log.watched.add(phone)
        await call(server, "POST", f"{base}/signups/{log.signed_up[phones[0]]}/watched", None)
        live_appliers = [*phones[:5], "13800000001", "13800000002"]  # two never signed up
        for n, phone in enumerate(live_appliers):
            notify = n % 2 == 0
            consent = {"consent": True, "consent_version": "pipl23-1", "consent_to": SF}
            status, reply = await server.apply(
                event, "j1", phone, "王芳", notify_status=notify, **consent
            )
            assert status == 201, reply
            log.apply(reply["application_id"], phone, "j1", "live", notify)
        # Questions on the card: asked, then approved, hidden, answered by the employer.
        employer = await call(server, "POST", f"{base}/employers", staff, {"name": SF})
        viewer = await server.viewer(event)
        await viewer.next_of("hello")
        for n, text in enumerate(("要求什么学历？", "几点上班？", "有没有宿舍？")):
            body = {"card_id": card["card_id"], "text": text, "name": f"观众{n}"}
            asked = await call(server, "POST", f"{base}/questions", None, body)
            log.questions[asked["question_id"]] = "pending"
        q = list(log.questions)
        moves = [
            (q[0], event.host_token, {"action": "approve"}, "approved"),
            (q[1], staff, {"action": "hide"}, "hidden"),
            (q[2], employer["token"], {"action": "answer", "answer": "有，免费住宿"}, "answered"),
        ]
        for question_id, token, body, after in moves:
            await call(server, "POST", f"{base}/questions/{question_id}", token, body)
            log.questions[question_id] = after
        seen = [await viewer.next_of("question") for _ in range(2)]  # the hidden one never shown
        await viewer.close()
        assert {m["question"]["question_id"]: m["question"]["status"] for m in seen} == {
            q[0]: "approved",
            q[2]: "answered",
        }
        await call(server, "POST", f"{base}/state", event.host_token, {"state": "ended"})

        # 4. Replay: the recording with its cards; applications made from it.
        await call(server, "PUT", f"{base}/replay", staff, {"url": MP4})
        for phone, notify in ((phones[9], True), ("13800000003", False)):
            status, reply = await server.apply(
                event, "j1", phone, "李四", source="replay", card_id=card["card_id"],
                notify_status=notify,
            )  # fmt: skip
            assert status == 201, reply
            log.apply(reply["application_id"], phone, "j1", "replay", notify)

        # 5. Outcomes: an interview told, hires dated 31 and 8 days ago, one today.
        ids = list(log.applications)
        await call(
            server, "PATCH", f"{base}/applications/{ids[0]}", staff, {"status": "interviewed"}
        )
        log.told.append((log.applications[ids[0]][0], "interviewed"))
        for app_id, days_ago in ((ids[0], 31), (ids[1], 31), (ids[2], 8), (ids[7], 8)):
            now = int(time.time() * 1000 - days_ago * DAY_MS)
            await server.app[APPLICATIONS].change_status(
                event.id, app_id, Status.HIRED, by="staff", now=now
            )
            log.hire(app_id, days_ago)
        await call(server, "PATCH", f"{base}/applications/{ids[4]}", staff, {"status": "hired"})
        log.hire(ids[4], 0)

        # 6. Follow-up marks: staff, and the employer from its own link.
        marks = [
            (ids[0], "7d", "retained"),
            (ids[0], "30d", "left"),
            (ids[1], "7d", "retained"),
            (ids[1], "30d", "retained"),
            (ids[2], "7d", "unknown"),
            (ids[4], "7d", "left"),
        ]
        for app_id, check, result in marks:
            body = {"checkpoint": check, "result": result}
            await call(server, "PUT", f"{base}/followups/{app_id}", staff, body)
            log.marks[(app_id, check)] = result
        body = {"checkpoint": "7d", "result": "retained"}
        await call(server, "PUT", f"{base}/employer/followups/{ids[7]}", employer["token"], body)
        log.marks[(ids[7], "7d")] = "retained"

        # Every status notice asked for, once.
        assert await eventually(lambda: len(of_kind(receiver, "status")) >= len(log.told), 20)

        async def settled() -> bool:
            counts = await server.app[OUTBOX].counts(event.id)
            return counts.get("queued", 0) == 0 and counts.get("scheduled", 0) == 0

        assert await eventually(settled, 10)

        # 7. The report.
        funnel = await call(server, "GET", f"{base}/funnel", staff)
        fair = await call(server, "GET", f"{base}/report", staff)
        followups = await call(server, "GET", f"{base}/followups", staff)
        stats = await call(server, "GET", f"{base}/stats", staff)
        summary = await call(server, "GET", "/api/summary", ADMIN_TOKEN)
        questions = await call(server, "GET", f"{base}/questions", staff)
    finally:
        await server.stop()

    # Reminders: every sign-up's go-live reminder arrived exactly once, across the restart.
    assert sorted(b["recipient"] for b in of_kind(receiver, "live")) == sorted(log.signed_up)
    assert receiver.repeats() == {} and receiver.bad_signatures == 0
    # Status notices: exactly the changes the test made for applicants who asked.
    assert Counter(
        (b["recipient"], b["payload"]["status"]) for b in of_kind(receiver, "status")
    ) == Counter(log.told)
    # Questions: each in the state the test left it.
    assert {r["question_id"]: r["status"] for r in questions["questions"]} == log.questions
    # The funnel, of people who signed up.
    signed = set(log.signed_up)
    applied_phones = {phone for phone, _, _ in log.applications.values()}
    hired_phones = {log.applications[a][0] for a in log.hired}
    assert funnel == {
        "signed_up": len(signed),
        "watched": len(log.watched),
        "applied": len(signed & applied_phones),
        "hired": len(signed & hired_phones),
        "show_up_rate": round(len(log.watched) / len(signed), 4),
    }
    # The fair report and /stats: applications (live and replay), applicants, hires.
    overview = fair["overview"]
    assert overview["applications"] == stats["applications"] == len(log.applications)
    assert overview["applicants"] == len(applied_phones)
    assert overview["hires"] == stats["hires"] == len(log.hired)
    by_source = {row["source"]: row for row in stats["by_source"]}
    sources = Counter(source for _, _, source in log.applications.values())
    assert by_source["replay"]["applications"] == sources["replay"]
    assert by_source["live"]["applications"] == sources["live"]
    # Retention: per check, from the marks and hire dates the test made.
    for check, days in (("7d", 7), ("30d", 30)):
        expected = Counter(
            log.marks.get((app_id, check)) or ("pending" if days_ago >= days else "not_due")
            for app_id, days_ago in log.hired.items()
        )
        kept, left = expected["retained"], expected["left"]
        figures = {
            "retained": kept, "left": left, "unknown": expected["unknown"],
            "pending": expected["pending"], "not_due": expected["not_due"],
            "rate": round(kept / (kept + left), 4) if kept + left else None,
        }  # fmt: skip
        assert followups["retention"][check] == figures, check
        assert fair["retention"][check] == figures, check
        row = next(r for r in summary["events"] if r["event_id"] == event.id)
        assert row["retention"][check] == figures, check
    assert followups["retention"]["hires"] == len(log.hired)
    (sf,) = fair["retention_by_employer"]
    assert sf["employer"] == SF and sf["hires"] == len(log.hired)
