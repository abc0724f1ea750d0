"""``liveevent export``: the language, the form and the time zone of the file (a real store)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import uuid
from pathlib import Path

import openpyxl
import pytest

from liveevent.admin import ProgressBar, open_office
from liveevent.cli import main
from liveevent.domain.applications import ApplyRequest
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.store.applications import Applied, PendingApply
from tests.test_admin_cli import EVENT, _settings


@pytest.fixture
def store_args(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
    return ["--redis-url", store_url, "--data-dir", str(tmp_path)]


def _fair(store_args: list[str]) -> None:
    """An event with jobs 007 and j1 and one application for 007, made at epoch + 2 ms."""

    async def seed() -> None:
        async with open_office(_settings(store_args)) as office:
            event = LiveEvent.parse({"title": "CLI fair"}, event_id=EVENT, now=0)
            await office.events.create_event(event, {"host": "h", "staff": "s"})
            jobs = [Job("007", "京东物流", "仓储管理员", 8), Job("j1", "顺丰速运", "快递员", 20)]
            await office.events.upsert_jobs(EVENT, jobs)
            await office.events.set_state(EVENT, EventState.LIVE, now=1)
            request = ApplyRequest.parse({"job_id": "007", "name": "王芳", "phone": "13712345678"})
            (applied,) = await office.applications.apply_batch(
                [PendingApply(event_id=EVENT, request=request, via="http", now=2)]
            )
            assert isinstance(applied, Applied), applied

    asyncio.run(seed())


# The seeded application was made at epoch + 2 ms: 1970-01-01 00:00:00.002 UTC.
# (options, environment, the time column's header, its cell, the status column's cell)
CASES = [
    ([], {}, "报名时间 (北京时间)", "1970-01-01 08:00:00", ("状态", "已报名")),
    (
        ["--lang", "en"],
        {},
        "applied at (Asia/Shanghai)",
        "1970-01-01 08:00:00",
        ("status", "Applied"),
    ),
    (["--time-zone", "UTC"], {}, "报名时间 (UTC)", "1970-01-01 00:00:00", ("状态", "已报名")),
    (
        ["--lang", "en", "--time-zone", "America/New_York"],
        {},
        "applied at (America/New_York)",
        "1969-12-31 19:00:00",  # the day, and the year, before
        ("status", "Applied"),
    ),
    (
        [],
        {"LIVEEVENT_TIME_ZONE": "Asia/Kolkata"},
        "报名时间 (Asia/Kolkata)",
        "1970-01-01 05:30:00",
        ("状态", "已报名"),
    ),
    (["--form", "raw"], {}, "applied_at", "1970-01-01T00:00:00.002Z", ("status", "applied")),
    (
        ["--form", "raw", "--lang", "en", "--time-zone", "UTC"],
        {},
        "applied_at",
        "1970-01-01T00:00:00.002Z",
        ("status", "applied"),
    ),
]


@pytest.mark.parametrize(("options", "environ", "time_header", "time", "status"), CASES)
def test_export_csv_options(
    store_args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    environ: dict[str, str],
    time_header: str,
    time: str,
    status: tuple[str, str],
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    _fair(store_args)
    out = tmp_path / "out.csv"
    assert main(["export", "--event", EVENT, "--out", str(out), *options, *store_args]) == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row[time_header] == time
    assert row[status[0]] == status[1]
    assert "007" in row.values()  # the job id, leading zeros kept


def test_export_xlsx_in_english_with_date_cells(store_args: list[str], tmp_path: Path) -> None:
    _fair(store_args)
    out = tmp_path / "book.xlsx"
    args = ["export", "--event", EVENT, "--format", "xlsx", "--lang", "en", "--out", str(out)]
    assert main([*args, "--time-zone", "UTC", *store_args]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "applications",
        "hires",
        "pushes",
        "by city and channel",
        "questions",
    ]
    hires = list(book["hires"].iter_rows(values_only=True))
    assert hires[0] == ("employer", "job ID", "job title", "openings", "applications", "hires")
    assert book["hires"].column_dimensions["A"].width == 30
    assert next(book["applications"].iter_rows(values_only=True))[7] == "applied at (UTC)"


# Every refused value is the caller's to fix: one line and exit 2 (cli.py).
@pytest.mark.parametrize(
    ("options", "code", "says"),
    [
        (["--lang", "fr"], 2, "lang must be one of zh-CN, en"),
        (["--form", "pretty"], 2, "form must be one of people, raw"),
        (["--time-zone", "Asia/Beijing"], 2, "time_zone"),
        (["--time-zone", "+08:00"], 2, "time_zone"),
    ],
)
def test_export_refuses_unknown_options_and_writes_nothing(
    store_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    code: int,
    says: str,
) -> None:
    _fair(store_args)
    out = tmp_path / "out.csv"
    assert main(["export", "--event", EVENT, "--out", str(out), *options, *store_args]) == code
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_date_cells_hold_the_local_time(store_args: list[str], tmp_path: Path) -> None:
    _fair(store_args)
    out = tmp_path / "apps.xlsx"
    args = ["export", "--event", EVENT, "--format", "xlsx", "--table", "applications"]
    assert main([*args, "--out", str(out), *store_args]) == 0
    cell = openpyxl.load_workbook(out)["报名表"]["H2"]
    assert cell.value == dt.datetime(1970, 1, 1, 8, 0, 0) and cell.is_date


def test_progress_keeps_one_finished_line_per_table() -> None:
    # An XLSX of three tables printed "hires  4 / 4 100%pushes  1 / 1 100%" in a log: each
    # table redrew the same line with "\r" and never ended it.
    out = io.StringIO()
    bar = ProgressBar({"applications": 2, "hires": 4, "pushes": 1}, out=out)
    for name, rows in [("applications", 1), ("applications", 2), ("hires", 4), ("pushes", 1)]:
        bar(name, rows)
    bar.done()
    finished = [line.rsplit("\r", 1)[-1].split() for line in out.getvalue().split("\n") if line]
    assert [(words[0], words[-1]) for words in finished] == [
        ("applications", "100%"),
        ("hires", "100%"),
        ("pushes", "100%"),
    ]
