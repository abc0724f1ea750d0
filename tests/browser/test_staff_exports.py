"""The staff page's exports in Chromium: XLSX next to CSV, in the page's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.support import JOBS, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

LIVE = '#conn[data-state="live"]'
# A job id Excel would turn into the number 7 if it were not a text cell.
LEADING_ZERO_JOBS = [{**JOBS[0], "id": "007"}, *JOBS[1:]]


async def _download(page: Any, button: str) -> bytes:
    async with page.expect_download() as info:
        await page.click(button)
    download = await info.value
    path = await download.path()
    return path.read_bytes()  # type: ignore[no-any-return]


def _sheet(data: bytes) -> tuple[Any, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return sheet, list(sheet.iter_rows(values_only=True))


# (the page's language, button, the sheet's name, its first headers, the status word of a hire)
CASES = [
    ("zh-CN", "#export-apps-xlsx", "报名表", ("申请编号", "报名岗位编号", "单位"), "已录用"),
    ("en", "#export-apps-xlsx", "applications", ("application ID", "job applied to (ID)"), "Hired"),
]


@pytest.mark.parametrize(("lang", "button", "sheet_name", "headers", "hired"), CASES)
async def test_xlsx_buttons_download_files_in_the_pages_language(
    server: LiveServer,
    pages: Pages,
    lang: str,
    button: str,
    sheet_name: str,
    headers: tuple[str, ...],
    hired: str,
) -> None:
    event = await server.create_event(jobs=LEADING_ZERO_JOBS)
    await server.push(event, "007")
    status, body = await server.apply(event, "007", "13800000001", name="赵铁柱")
    assert status == 201, body
    await server.apply(event, "j2", "13700000002", name="钱二")
    status, _ = await server.call(
        "PATCH",
        f"/api/events/{event.id}/applications/{body['application_id']}",
        token=event.staff_token,
        json_body={"status": "hired"},
    )
    assert status == 200
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    await staff.wait_for_selector(LIVE)
    if lang == "en":
        await staff.click("[data-lang-toggle]")
        await staff.wait_for_function("document.documentElement.lang === 'en'")
    # The XLSX buttons sit next to the CSV ones, worded in the page's language.
    labels = await staff.locator(".head-actions button").all_inner_texts()
    assert [label.split()[-1] for label in labels[:4]] == ["CSV", "XLSX", "CSV", "XLSX"]

    sheet, rows = _sheet(await _download(staff, button))
    assert sheet.title == sheet_name
    assert rows[0][: len(headers)] == headers
    assert [row[1] for row in rows[1:]] == ["007", "j2"]  # text, leading zeros kept
    assert sheet["B2"].data_type == "s"
    assert [row[6] for row in rows[1:]] == [hired, "已报名" if lang == "zh-CN" else "Applied"]
    applied = sheet["H2"]
    assert applied.is_date and isinstance(applied.value, dt.datetime)
    # The server's clock in Beijing time (the default time_zone), to the second.
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    assert abs((now - applied.value).total_seconds()) < 300
    assert (sheet.column_dimensions["C"].width or 0) >= 20  # the employer column is widened

    _, hires = _sheet(await _download(staff, "#export-hires-xlsx"))
    assert hires[0][1] == ("岗位编号" if lang == "zh-CN" else "job ID")
    assert {row[1]: row[5] for row in hires[1:]}["007"] == 1

    text = (await _download(staff, "#export-hires")).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:2] == (["单位", "岗位编号"] if lang == "zh-CN" else ["employer", "job ID"])
    assert pages.errors() == []


async def test_export_buttons_fit_a_phone(server: LiveServer, pages: Pages) -> None:
    event = await server.create_event()
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=PHONE
    )
    await staff.wait_for_selector(LIVE)
    for selector in ("#export-apps", "#export-apps-xlsx", "#export-hires", "#export-hires-xlsx"):
        box = await staff.locator(selector).bounding_box()
        # One line of text (a label squeezed into a column of characters is ~8 lines tall),
        # and inside the screen.
        assert box["height"] < 60 and box["x"] + box["width"] <= PHONE["width"], (selector, box)
    await pages.shot(staff, "phone")
    assert pages.errors() == []
