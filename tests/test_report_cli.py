"""``liveevent report --from --to`` and ``liveevent export --table report`` on a real store,
and the same report across fairs over HTTP (admin)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid
from pathlib import Path

import openpyxl
import pytest

from liveevent.admin import open_office
from liveevent.cli import build_parser, main, settings_from_args
from liveevent.domain.applications import ApplyRequest, Status
from liveevent.domain.events import LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import Applied, PendingApply
from tests.support import ADMIN_TOKEN, LiveServer

# Three fairs, starting (Asia/Shanghai) on 2026-03-01 09:00, 2026-03-15 23:30 and 2026-04-01.
FAIRS = {
    "fair0301": 1772326800000,  # 2026-03-01T01:00:00Z = 09:00 in Shanghai
    "fair0315": 1773588600000,  # 2026-03-15T15:30:00Z = 23:30 in Shanghai (still the 15th)
    "fair0401": 1775005200000,  # 2026-04-01T01:00:00Z
}


@pytest.fixture
def store_args(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
    return ["--redis-url", store_url, "--data-dir", str(tmp_path)]


def _seed(store_args: list[str]) -> None:
    """Each fair: two jobs (8 openings and a 10-20 range), three applications, one hire."""
    import os

    settings = settings_from_args(
        build_parser().parse_args(["summary", *store_args]), dict(os.environ)
    )

    async def seed() -> None:
        async with open_office(settings) as office:
            for n, (event_id, starts) in enumerate(FAIRS.items()):
                event = LiveEvent.parse(
                    {"title": f"专场{n}"}, event_id=event_id, now=starts - 86_400_000
                )
                event = LiveEvent(event.id, event.title, starts, None, event.created_at)
                await office.events.create_event(event, {"host": "h", "staff": "s"})
                await office.events.upsert_jobs(
                    event_id,
                    [
                        Job("a", f"企业{n}", "安全员", 8),
                        Job("b", "京东物流", "仓管", 10, openings_max=20),
                    ],
                )
                ids = []
                for job, phone in (
                    ("a", "13800000001"),
                    ("b", "13800000001"),
                    ("b", "13800000002"),
                ):
                    request = ApplyRequest.parse({"job_id": job, "name": "王芳", "phone": phone})
                    (applied,) = await office.applications.apply_batch(
                        [PendingApply(event_id=event_id, request=request, via="http", now=starts)]
                    )
                    assert isinstance(applied, Applied), applied
                    ids.append(applied.application_id)
                await office.applications.change_status(
                    event_id, ids[0], Status.HIRED, by="test", now=starts
                )

    asyncio.run(seed())


def test_report_across_fairs_counts_fairs_by_their_local_start_day(
    store_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(store_args)
    code = main(["report", "--from", "2026-03-01", "--to", "2026-03-15", "--format", "json",
                 *store_args])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["event_id"] for f in report["fairs"]] == ["fair0301", "fair0315"]
    assert report["total"] == {
        "fairs": 2,
        "employers": 3,  # 企业0, 企业1 and 京东物流 in both
        "jobs": 4,
        "openings": 36,  # (8 + 10) x 2: a range counts its low end
        "ranged": 2,
        "unknown": 0,
        "viewers_peak": 0,
        "unique_viewers": 0,
        "checkins": 0,
        "applications": 6,
        "applicants": 4,  # distinct per fair, added up
        "intents": 0,
        "hires": 2,
        "ratio": 9.0,
        # Retention after hire (issue 17.4): both hires long past both checks, none marked.
        "retention": {
            "hires": 2,
            **{
                check: {
                    "retained": 0,
                    "left": 0,
                    "unknown": 0,
                    "pending": 2,
                    "not_due": 0,
                    "rate": None,
                }
                for check in ("7d", "30d")
            },
        },
    }
    # The text table and its one-line statement.
    assert main(["report", "--from", "2026-03-01", "--to", "2026-04-30", *store_args]) == 0
    out = capsys.readouterr().out
    statement, retention = out.rstrip().splitlines()[-2:]
    assert statement == (
        "3 fairs from 2026-03-01 to 2026-04-30 (Asia/Shanghai): 6 job posts, 54 openings, "
        "9 applications, 6 applicants, 3 hired"
    )
    assert retention == (  # issue 17.4: three hires long past both checks, none marked
        "retention after hire: 7 days - (0 retained, 0 left; 0 could not reach, 3 due, 0 not "
        "yet due); 30 days - (0 retained, 0 left; 0 could not reach, 3 due, 0 not yet due)"
    )
    # CSV and XLSX files.
    path = tmp_path / "fairs.csv"
    assert main(["report", "--from", "2026-03-15", "--format", "csv", "--lang", "en",
                 "--out", str(path), *store_args]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    assert [r["Event id"] for r in rows] == ["fair0315", "合计 Total"]
    assert rows[-1]["Hires"] == "1" and rows[-1]["Openings"] == "18"
    book_path = tmp_path / "fairs.xlsx"
    assert main(["report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "xlsx",
                 "--out", str(book_path), *store_args]) == 0  # fmt: skip
    sheet = openpyxl.load_workbook(book_path)["汇总 Fairs"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0][:3] == ["活动编号", "名称", "开始时间"] and cells[1][0] == "Event id"
    total = next(r for r in cells if r[0] == "合计 Total")
    assert total[3:14] == [3, 4, 36, 0, 0, 0, 6, 4, 0, 2, 9.0]
    # Bad dates: one line naming the field, nothing written.
    for bad in (
        ["--from", "2026-02-30"],
        ["--from", "2026-03-02", "--to", "2026-03-01"],
        ["--from", "9999-12-31"],  # r4: the day after it overflowed (a traceback)
    ):
        assert main(["report", *bad, *store_args]) == 2
    err = capsys.readouterr().err
    assert "from" in err and "to is before from" in err


def test_export_table_report_writes_the_fair_workbook(
    store_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(store_args)
    out = tmp_path / "report.xlsx"
    assert main(["export", "--event", "fair0301", "--table", "report", "--format", "xlsx",
                 "--out", str(out), *store_args]) == 0  # fmt: skip
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "概览 Overview", "按城市 By city", "按会场 By venue", "按渠道 By channel",
        "渠道×城市 Channel x city", "按雇主 By employer", "按职位 By job", "回访 Retention",
    ]  # fmt: skip
    retention = list(book["回访 Retention"].iter_rows(values_only=True))
    assert retention[2][:2] == ("全场 Whole fair", 1) and retention[2][5] == 1  # 7d pending
    values = {r[1]: r[2] for r in book["概览 Overview"].iter_rows(values_only=True) if r[1]}
    assert values["Openings"] == 18 and values["Applicants"] == 2 and values["Hires"] == 1
    assert values["Openings per applicant"] == 9.0
    jobs = list(book["按职位 By job"].iter_rows(values_only=True))
    assert jobs[1][:4] == ("Employer", "Job", "City", "Job id")
    assert {r[3]: r[4:] for r in jobs[2:]} == {
        "a": (8, 1, 1, 0, 1, 8.0),
        "b": (10, 2, 2, 0, 0, 5.0),
    }
    assert main(["export", "--event", "fair0301", "--table", "report", "--format", "csv",
                 "--out", str(tmp_path / "r.csv"), *store_args]) == 2  # fmt: skip
    assert "xlsx" in capsys.readouterr().err


async def test_the_report_across_fairs_over_http(server: LiveServer) -> None:
    event = await server.create_event()
    status, _ = await server.call("GET", "/api/report?from=2026-01-01")
    assert status == 401
    status, _ = await server.call("GET", "/api/report?from=2026-01-01", token=event.staff_token)
    assert status == 403
    status, body = await server.call("GET", "/api/report?from=nope", token=ADMIN_TOKEN)
    assert status == 422 and "from" in body["error"]["fields"]
    status, body = await server.call(
        "GET", "/api/report?from=2000-01-01&to=2099-12-31&format=pdf", token=ADMIN_TOKEN
    )
    assert status == 422 and "format" in body["error"]["fields"]
    status, body = await server.call(
        "GET", "/api/report?from=2000-01-01&to=2019-12-31", token=ADMIN_TOKEN
    )
    assert status == 422 and "to" in body["error"]["fields"]  # over ten years
    # The event was created now, without a start time: it counts on its creation day.
    today = dt.datetime.now(dt.UTC).date()
    first, last = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    status, report = await server.call(
        "GET", f"/api/report?from={first}&to={last}", token=ADMIN_TOKEN
    )
    assert status == 200, report
    ids = [f["event_id"] for f in report["fairs"]]
    assert event.id in ids
    status, text = await server.call(
        "GET", f"/api/report?from={first}&to={last}&format=csv&lang=en", token=ADMIN_TOKEN
    )
    assert status == 200 and text.lstrip("\ufeff").startswith("Event id,Title,Starts")
    # The fair report needs staff.
    for token, expected in ((event.host_token, 403), (event.overlay_token, 403), (None, 401)):
        status, _ = await server.call("GET", f"/api/events/{event.id}/report", token=token)
        assert status == expected
        status, _ = await server.call(
            "GET", f"/api/events/{event.id}/export/report.xlsx", token=token
        )
        assert status == expected
