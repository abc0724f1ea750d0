"""Exports: CSV with BOM and formula escaping, XLSX that Excel/LibreOffice open, the audit."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from liveevent.store import codec
from liveevent.web.appkeys import STORE
from tests.support import Event, LiveServer


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
    assert book.sheetnames == ["applications", "hires", "pushes"]
    apps = book["applications"]
    assert apps.freeze_panes == "A2"
    values = list(apps.iter_rows(values_only=True))
    assert values[0][:3] == ("application_id", "job_id", "employer")
    assert [v[0] for v in values[1:]] == ids
    assert values[1][4] == '\'=HYPERLINK("http://x")'
    hires = list(book["hires"].iter_rows(values_only=True))
    j1 = next(r for r in hires if r[1] == "j1")
    assert j1[3:] == (20, 3, 1)  # typed numbers, not text
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
