"""Exports: CSV with BOM and formula escaping, XLSX that Excel/LibreOffice open, the audit."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from liveevent.office.export_tables import APPLICATION_COLUMNS
from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import JOBS, Event, LiveServer


async def _fair(server: LiveServer) -> tuple[Event, list[str]]:
    """A live event: two pushes, four applications (one named like a formula), one hire."""
    event = await server.create_event()
    await server.push(event, "j1")
    ids = []
    for n, name in enumerate(('=HYPERLINK("http://x")', "李四", "+王五")):
        ids.append(
            (await server.apply(event, "j1", f"1390000000{n}", name=name))[1]["application_id"]
        )
    await server.push(event, "j2")
    ids.append((await server.apply(event, "j2", "13900000009", name="@赵六"))[1]["application_id"])
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{ids[1]}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    return event, ids


async def _get_bytes(server: LiveServer, path: str, token: str) -> tuple[int, bytes, str]:
    assert server.session is not None
    async with server.session.get(
        server.url + path, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        return resp.status, await resp.read(), resp.headers.get("Content-Type", "")


async def test_csv_exports_bom_escaping_and_same_numbers_as_stats(server: LiveServer) -> None:
    event, ids = await _fair(server)
    base = f"/api/events/{event.id}/export"
    # The form for scripts: column codes, status codes (the people's form: test_export_forms.py).
    status, raw, ctype = await _get_bytes(
        server, f"{base}/applications.csv?form=raw", event.staff_token
    )
    assert status == 200 and ctype.startswith("text/csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["application_id"] for r in rows] == ids
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://x")', "李四", "'+王五", "'@赵六"]
    assert rows[0]["phone"] == "13900000000"  # staff see phones in full
    assert [r["status"] for r in rows] == ["applied", "hired", "applied", "applied"]

    stats = await server.stats(event)
    _, raw, _ = await _get_bytes(server, f"{base}/hires.csv?form=raw", event.staff_token)
    hires = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["job_id"]: (int(r["applications"]), int(r["hires"])) for r in hires} == {
        j["job_id"]: (j["applications"], j["hires"]) for j in stats["jobs"]
    }

    _, raw, _ = await _get_bytes(server, f"{base}/pushes.csv?form=raw", event.staff_token)
    pushes = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [(p["job_id"], p["applications"], p["hires"]) for p in pushes] == [
        ("j1", "3", "1"),
        ("j2", "1", "0"),
    ]
    assert pushes[0]["applications_within_10_min"] == "3"
    assert pushes[0]["on_screen_s"] != "" and pushes[1]["on_screen_s"] == ""  # j2 still on
    assert sum(int(p["applications"]) for p in pushes) == stats["applications"]


async def test_xlsx_exports_open_in_openpyxl(server: LiveServer, tmp_path: Path) -> None:
    event, ids = await _fair(server)
    base = f"/api/events/{event.id}/export"
    status, raw, ctype = await _get_bytes(
        server, f"{base}/workbook.xlsx?form=raw", event.staff_token
    )
    assert status == 200 and "spreadsheetml" in ctype
    path = tmp_path / "workbook.xlsx"
    path.write_bytes(raw)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["applications", "hires", "pushes", "attribution", "questions"]
    apps = book["applications"]
    assert apps.freeze_panes == "A2"
    values = list(apps.iter_rows(values_only=True))
    assert values[0][:3] == ("application_id", "job_id", "employer")
    assert [v[0] for v in values[1:]] == ids
    assert values[1][4] == '\'=HYPERLINK("http://x")'
    hires = list(book["hires"].iter_rows(values_only=True))
    j1 = next(r for r in hires if r[1] == "j1")
    assert j1[3:] == (20, 3, 1, 20)  # typed numbers, not text (openings_max last)
    status, raw, _ = await _get_bytes(server, f"{base}/hires.csv?format=xlsx", event.staff_token)
    assert status == 200 and raw[:2] == b"PK"
    assert (await _get_bytes(server, f"{base}/workbook.csv", event.staff_token))[0] == 422
    assert (await _get_bytes(server, f"{base}/pushes.xlsx?window_min=0", event.staff_token))[
        0
    ] == 422


async def test_exports_are_staff_only_and_audited(server: LiveServer) -> None:
    event, _ = await _fair(server)
    base = f"/api/events/{event.id}/export"
    assert (await _get_bytes(server, f"{base}/applications.xlsx", event.host_token))[0] == 403
    assert (await _get_bytes(server, f"{base}/pushes.csv", event.host_token))[0] == 403
    await _get_bytes(server, f"{base}/applications.csv", event.staff_token)
    await _get_bytes(server, f"{base}/applications.xlsx", event.staff_token)
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).audit)
    audit = [codec.unpack(fields[b"d"]) for _sid, fields in entries]
    exports = [
        (a["table"], a["format"], a["by"], a["rows"]) for a in audit if a["what"] == "export"
    ]
    assert exports == [("applications", "csv", "staff", 4), ("applications", "xlsx", "staff", 4)]
    assert all(isinstance(a["at"], int) for a in audit)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="libreoffice is not installed")
async def test_xlsx_converts_in_libreoffice_with_the_same_rows(
    server: LiveServer, tmp_path: Path
) -> None:
    event, _ = await _fair(server)
    base = f"/api/events/{event.id}/export"
    _, xlsx, _ = await _get_bytes(server, f"{base}/applications.xlsx", event.staff_token)
    _, raw_csv, _ = await _get_bytes(server, f"{base}/applications.csv", event.staff_token)
    (tmp_path / "applications.xlsx").write_bytes(xlsx)
    proc = await asyncio.create_subprocess_exec(
        "libreoffice",
        f"-env:UserInstallation=file://{tmp_path}/profile",
        "--headless",
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,76",
        "--outdir",
        str(tmp_path),
        str(tmp_path / "applications.xlsx"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(proc.wait(), 90) == 0
    converted = list(
        csv.reader(
            io.StringIO(
                (tmp_path / "applications.csv").read_text(encoding="utf-8").lstrip("\ufeff")
            )
        )
    )
    ours = list(csv.reader(io.StringIO(raw_csv.decode("utf-8-sig"))))
    assert converted == ours


# --- The files for people (the default) and for scripts (?form=raw) -----------------------

ZERO_JOBS = [{**JOBS[0], "id": "007"}, {**JOBS[1], "id": "0042"}]


async def _zero_fair(server: LiveServer) -> tuple[Event, list[str]]:
    """Jobs 007 and 0042; three applications, the second hired, the third rejected."""
    event = await server.create_event(jobs=ZERO_JOBS)
    await server.push(event, "007")
    ids = []
    for n, job in enumerate(("007", "0042", "0042")):
        status, body = await server.apply(event, job, f"1390000001{n}", name=f"报名人{n}")
        assert status == 201, body
        ids.append(body["application_id"])
    for application_id, outcome in ((ids[1], "hired"), (ids[2], "rejected")):
        status, _ = await server.call(
            "PATCH",
            f"/api/events/{event.id}/applications/{application_id}",
            token=event.staff_token,
            json_body={"status": outcome},
        )
        assert status == 200
    return event, ids


def _csv(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _local(iso_utc: str, zone: str) -> str:
    moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


# (time_zone setting, query, id / job / status / time headers, status words, zone in header)
FORMS = [
    (
        "Asia/Shanghai",
        "",
        ("申请编号", "报名岗位编号", "状态", "报名时间 (北京时间)"),
        ("已报名", "已录用", "未录用"),
    ),
    (
        "Asia/Shanghai",
        "?lang=en",
        ("application ID", "job applied to (ID)", "status", "applied at (Asia/Shanghai)"),
        ("Applied", "Hired", "Not hired"),
    ),
    (
        "UTC",
        "?lang=zh-CN",
        ("申请编号", "报名岗位编号", "状态", "报名时间 (UTC)"),
        ("已报名", "已录用", "未录用"),
    ),
    (
        "Asia/Kolkata",
        "?lang=en&form=people",
        ("application ID", "job applied to (ID)", "status", "applied at (Asia/Kolkata)"),
        ("Applied", "Hired", "Not hired"),
    ),
    (
        "America/New_York",
        "?lang=EN",
        ("application ID", "job applied to (ID)", "status", "applied at (America/New_York)"),
        ("Applied", "Hired", "Not hired"),
    ),
]


@pytest.mark.parametrize(("zone", "query", "headers", "words"), FORMS)
async def test_csv_for_people_words_local_times_and_ids(
    make_server: Callable[..., Awaitable[LiveServer]],
    zone: str,
    query: str,
    headers: tuple[str, str, str, str],
    words: tuple[str, str, str],
) -> None:
    server = await make_server(time_zone=zone)
    event, ids = await _zero_fair(server)
    base = f"/api/events/{event.id}/export"
    status, raw, _ = await _get_bytes(server, f"{base}/applications.csv{query}", event.staff_token)
    assert status == 200
    rows = _csv(raw)
    id_h, job_h, status_h, time_h = headers
    assert [r[id_h] for r in rows] == ids
    assert [r[job_h] for r in rows] == ["007", "0042", "0042"]  # leading zeros kept
    assert tuple(r[status_h] for r in rows) == words
    # The same instants as the raw form's UTC, read in the setting's zone, to the second.
    _, raw_form, _ = await _get_bytes(
        server, f"{base}/applications.csv?form=raw", event.staff_token
    )
    utc = [r["applied_at"] for r in _csv(raw_form)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", u) for u in utc)
    assert [r[time_h] for r in rows] == [_local(u, zone) for u in utc]
    # The form for scripts: codes whatever the language, UTC whatever the zone.
    for lang in ("en", "zh-CN"):
        path = f"{base}/applications.csv?form=raw&lang={lang}"
        assert (await _get_bytes(server, path, event.staff_token))[1] == raw_form
    raw_rows = _csv(raw_form)
    assert list(raw_rows[0]) == list(APPLICATION_COLUMNS)
    assert [(r["job_id"], r["status"]) for r in raw_rows] == [
        ("007", "applied"),
        ("0042", "hired"),
        ("0042", "rejected"),
    ]


@pytest.mark.parametrize(("zone", "query", "headers", "words"), FORMS)
async def test_xlsx_for_people_dates_text_ids_and_widths(
    make_server: Callable[..., Awaitable[LiveServer]],
    tmp_path: Path,
    zone: str,
    query: str,
    headers: tuple[str, str, str, str],
    words: tuple[str, str, str],
) -> None:
    server = await make_server(time_zone=zone)
    event, ids = await _zero_fair(server)
    base = f"/api/events/{event.id}/export"
    status, raw, _ = await _get_bytes(server, f"{base}/workbook.xlsx{query}", event.staff_token)
    assert status == 200
    path = tmp_path / "book.xlsx"
    path.write_bytes(raw)
    book = openpyxl.load_workbook(path)
    zh = headers[0] == "申请编号"
    assert book.sheetnames == (
        ["报名表", "录用统计", "卡片推送", "城市与渠道", "观众提问"]
        if zh
        else ["applications", "hires", "pushes", "by city and channel", "questions"]
    )
    apps = book.worksheets[0]
    rows = list(apps.iter_rows(values_only=True))
    assert rows[0][0:2] == headers[:2] and rows[0][6:8] == headers[2:]
    assert [(r[0], r[1]) for r in rows[1:]] == list(zip(ids, ["007", "0042", "0042"], strict=True))
    assert all(apps.cell(row, 2).data_type == "s" for row in (2, 3, 4))  # text, not 7 or 42
    assert tuple(r[6] for r in rows[1:]) == words
    _, raw_form, _ = await _get_bytes(
        server, f"{base}/applications.csv?form=raw", event.staff_token
    )
    utc = [r["applied_at"] for r in _csv(raw_form)]
    times = [apps.cell(row, 8) for row in (2, 3, 4)]
    assert all(cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm:ss" for cell in times)
    assert [c.value.strftime("%Y-%m-%d %H:%M:%S") for c in times] == [_local(u, zone) for u in utc]
    for sheet in book.worksheets:  # every column has a width, wide enough for its header
        for index, header in enumerate(next(sheet.iter_rows(values_only=True)), start=1):
            width = sheet.column_dimensions[get_column_letter(index)].width
            assert width >= min(50, len(str(header))), (sheet.title, header, width)
    pushes = list(book.worksheets[2].iter_rows(values_only=True))
    assert isinstance(pushes[1][1], dt.datetime) and pushes[1][2] == "007"


@pytest.mark.parametrize(
    ("query", "field"),
    [("?lang=fr", "lang"), ("?form=excel", "form"), ("?lang=en&form=json", "form")],
)
@pytest.mark.parametrize("path", ["applications.csv", "hires.xlsx", "workbook.xlsx"])
async def test_unknown_language_or_form_is_refused_and_not_audited(
    server: LiveServer, query: str, field: str, path: str
) -> None:
    event = await server.create_event()
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/export/{path}{query}", token=event.staff_token
    )
    assert status == 422 and field in body["error"]["fields"], body
    conn = server.app[STORE]
    entries = await conn.reader.xrange(conn.keys.event(event.id).audit)
    assert [e for e in entries if codec.unpack(e[1][b"d"])["what"] == "export"] == []


async def test_an_exported_sheet_comes_back_as_an_outcome_sheet(server: LiveServer) -> None:
    # An employer fills in the status column of the zh-CN file and sends it back.
    event, _ = await _zero_fair(server)
    base = f"/api/events/{event.id}/export"
    _, raw, _ = await _get_bytes(server, f"{base}/applications.csv", event.staff_token)
    text = raw.decode("utf-8-sig").replace("已报名", "已录用", 1)
    assert server.session is not None
    async with server.session.post(
        server.url + f"/api/events/{event.id}/outcomes",
        data=text.encode(),
        headers={"Authorization": f"Bearer {event.staff_token}", "Content-Type": "text/csv"},
    ) as resp:
        report = await resp.json()
        assert resp.status == 200, report
    assert report["changed"] == 1 and report["unchanged"] == 2, report
    _, raw, _ = await _get_bytes(server, f"{base}/applications.csv?form=raw", event.staff_token)
    assert [r["status"] for r in _csv(raw)] == ["hired", "hired", "rejected"]
