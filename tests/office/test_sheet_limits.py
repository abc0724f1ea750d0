"""Heavy work off the loop: job and outcome sheets are read in a child process, within limits.

The hostile files are built here, byte by byte: a 5 KB workbook that declares
``<dimension ref="A1:XFD15000"/>`` (it blocked every viewer and ``/healthz`` for 16.6 s),
rows far below the data (blank rows count against ``max_sheet_rows``), a value in column XFD,
a zip whose members unzip past ``max_sheet_unzipped_bytes`` or lie about their size, and a
sheet that takes longer than ``sheet_read_budget_s``. Each limit answers 413 (size) or 422
(time) naming its setting, and nothing is stored.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from tests.support import Event, LiveServer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MakeServer = Callable[..., Awaitable[LiveServer]]

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def xlsx(rows: dict[int, str], *, dimension: str | None = None, padding: int = 0) -> bytes:
    """A workbook whose one sheet has ``rows`` (row number -> the row's cells as XML), and
    ``padding`` bytes of XML whitespace (which compresses to almost nothing)."""
    body = "".join(f'<row r="{number}">{cells}</row>' for number, cells in sorted(rows.items()))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + "<sheetData>"
        + body
        + "</sheetData>"
        + " " * padding
        + "</worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


HEADER = cell("A1", "公司名称") + cell("B1", "职位名称")


def job_row(number: int, employer: str = "京东物流", title: str = "仓储管理员") -> str:
    return cell(f"A{number}", employer) + cell(f"B{number}", title)


async def post_jobs(server: LiveServer, event: Event, data: bytes, content_type: str) -> Any:
    return await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        data=io.BytesIO(data),  # type: ignore[arg-type]  # aiohttp warns on big raw bytes
        headers={"Content-Type": content_type},
    )


async def job_ids(server: LiveServer, event: Event) -> list[str]:
    status, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert status == 200, body
    return sorted(job["id"] for job in body["jobs"])


async def healthz_while(server: LiveServer, work: Awaitable[Any]) -> tuple[Any, list[float]]:
    """Run ``work``; meanwhile call ``GET /healthz`` again and again. (work's result, the time
    each call took, in seconds, counting any late wake-up of the pause between calls: the
    test client shares the server's loop, so a blocked loop shows there too)."""
    task = asyncio.ensure_future(work)
    latencies: list[float] = []
    while not task.done():
        start = time.perf_counter()
        status, _ = await server.call("GET", "/healthz")
        assert status == 200
        await asyncio.sleep(0.02)
        latencies.append(time.perf_counter() - start - 0.02)
    return await task, latencies


async def test_a_false_dimension_neither_blocks_nor_pads(server: LiveServer) -> None:
    # 5 KB: a header, and one posting 15,000 rows down; the sheet claims 16,384 columns.
    data = xlsx({1: HEADER, 15000: job_row(15000)}, dimension="A1:XFD15000")
    assert len(data) < 5000
    event = await server.create_event(live=False)
    start = time.perf_counter()
    (status, body), latencies = await healthz_while(
        server, post_jobs(server, event, data, XLSX_TYPE)
    )
    assert status == 201 and body["created"] == 1, body
    assert time.perf_counter() - start < 5.0
    assert max(latencies) < 0.2, latencies


async def test_healthz_answers_while_a_big_sheet_is_read(server: LiveServer) -> None:
    # 40,000 rows of one posting: seconds of parsing, one job to store (the rows merge), so
    # what is timed is the reading.
    rows = (
        "公司名称,职位名称,招聘人数,薪资,工作地点\r\n"
        + "京东物流,仓储管理员,招8人,6-8千/月,北京\r\n" * 40_000
    )
    event = await server.create_event(live=False)
    (status, body), latencies = await healthz_while(
        server, post_jobs(server, event, rows.encode(), "text/csv")
    )
    assert status == 201 and body["created"] == 1 and body["merged"] == 39_999, body
    assert max(latencies) < 0.2, sorted(latencies)[-5:]
    assert len(latencies) >= 5, "the import was too quick to show anything"


def _blank_rows_xlsx() -> bytes:
    # One posting, then an empty row element 150,000 rows down (a formatted row, say): the
    # blank rows in between are read, so they count.
    return xlsx({1: HEADER, 2: job_row(2), 150_000: ""})


def _blank_lines_csv() -> bytes:
    return ("公司名称,职位名称\r\n" + "\r\n" * 100_000 + "京东物流,仓储管理员\r\n").encode()


def _column_xfd_xlsx() -> bytes:
    return xlsx({1: HEADER, 2: job_row(2) + cell("XFD2", "备注")})


def _padded_xlsx() -> bytes:
    return xlsx({1: HEADER, 2: job_row(2)}, padding=2 * 1024 * 1024)


def _slow_csv() -> bytes:
    lines = (f"京东物流{i},仓储管理员,招8人,6-8千/月,北京" for i in range(60_000))
    return ("公司名称,职位名称,招聘人数,薪资,工作地点\r\n" + "\r\n".join(lines)).encode()


LIMITS = [
    # (file, its content type, server settings, status, the setting the error names)
    pytest.param(_blank_rows_xlsx, XLSX_TYPE, {}, 413, "max_sheet_rows", id="blank-rows-xlsx"),
    pytest.param(_blank_lines_csv, "text/csv", {}, 413, "max_sheet_rows", id="blank-lines-csv"),
    pytest.param(_column_xfd_xlsx, XLSX_TYPE, {}, 413, "max_sheet_columns", id="column-xfd"),
    pytest.param(
        _padded_xlsx,
        XLSX_TYPE,
        {"max_sheet_unzipped_bytes": 1024 * 1024},
        413,
        "max_sheet_unzipped_bytes",
        id="unzipped-bytes",
    ),
    pytest.param(
        _slow_csv, "text/csv", {"sheet_read_budget_s": 0.2}, 422, "sheet_read_budget_s", id="time"
    ),
]


@pytest.mark.parametrize(("build", "content_type", "changes", "status", "limit"), LIMITS)
async def test_each_limit_names_itself_and_stores_nothing(
    make_server: MakeServer,
    build: Callable[[], bytes],
    content_type: str,
    changes: dict[str, Any],
    status: int,
    limit: str,
) -> None:
    server = await make_server(**changes)
    event = await server.create_event(live=False)
    before = await job_ids(server, event)
    got, body = await post_jobs(server, event, build(), content_type)
    assert got == status, body
    assert limit in body["error"]["message"] and limit in body["error"]["fields"]["file"], body
    assert await job_ids(server, event) == before


async def test_outcome_sheets_have_the_same_limits(server: LiveServer) -> None:
    event = await server.create_event()
    sheet = ("申请编号,结果\r\n" + "\r\n" * 100_001).encode()
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data=io.BytesIO(sheet),  # type: ignore[arg-type]
        headers={"Content-Type": "text/csv"},
    )
    assert status == 413 and "max_sheet_rows" in body["error"]["message"], body


def test_a_zip_that_understates_its_size_is_refused() -> None:
    from liveevent.tables.errors import UnreadableTableError
    from liveevent.tables.sheet import Deadline, SheetLimits, check_unzipped_size

    # The central directory says the sheet unzips to 100 bytes; it really unzips to 2 MiB.
    data = bytearray(xlsx({1: HEADER}, padding=2 * 1024 * 1024))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(4, "little")
    assert data.count(real) == 2  # in the local header and in the central directory
    forged = bytes(data).replace(real, (100).to_bytes(4, "little"))
    limits = SheetLimits(max_unzipped_bytes=1024 * 1024)
    with pytest.raises(UnreadableTableError):
        check_unzipped_size(forged, limits=limits, deadline=Deadline(10.0))


def test_cli_import_has_the_same_limits(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import uuid

    from liveevent.cli import main
    from tests.test_admin_cli import EVENT, _seed

    monkeypatch.setenv("LIVEEVENT_KEY_PREFIX", f"test-{uuid.uuid4().hex[:12]}")
    store_args = ["--redis-url", store_url, "--data-dir", str(tmp_path)]
    _seed(store_args, [])
    path = tmp_path / "jobs.xlsx"
    path.write_bytes(_blank_rows_xlsx())
    # A limit is the caller's to fix: one line and exit 2, as for every caller error (cli.py).
    assert main(["jobs", "import", "--event", EVENT, str(path), *store_args]) == 2
    assert "max_sheet_rows" in capsys.readouterr().err
    monkeypatch.setenv("LIVEEVENT_MAX_SHEET_COLUMNS", "1")
    path.write_bytes(xlsx({1: HEADER, 2: job_row(2)}))
    assert main(["jobs", "import", "--event", EVENT, str(path), *store_args]) == 2
    assert "max_sheet_columns" in capsys.readouterr().err
