"""The admin page (``/admin#token=T``): the report across fairs for a range of days, its table
and total, its Excel and CSV downloads, Chinese first with English; in real Chromium."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, Pages
from tests.support import ADMIN_TOKEN, LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


async def _rows(page: Any) -> dict[str, dict[str, str]]:
    """The table as ``{title: {figure: text}}``, plus ``"total"`` for the total row."""
    return await page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const out = {};
          const figures = (row) => Object.fromEntries(
            [...row.querySelectorAll("td[data-figure]")]
              .map((td) => [td.dataset.figure, td.textContent]));
          for (const row of document.querySelectorAll("#fairs-body tr")) {
            out[row.querySelector(".fair-title").textContent] = figures(row);
          }
          const total = document.querySelector("#total-row");
          if (total) out.total = { label: total.cells[0].textContent, ...figures(total) };
          return out;
        }"""
    )


async def _download(page: Any, button: str) -> tuple[str, bytes]:
    """Click ``button``; the download's suggested file name and its bytes."""
    async with page.expect_download() as info:
        await page.click(button)
    download = await info.value
    path = await download.path()
    return download.suggested_filename, path.read_bytes()


async def test_the_admin_page_shows_the_fairs_and_downloads_the_report(
    server: LiveServer, pages: Pages
) -> None:
    first = await server.create_event("南山区退役军人专场")
    second = await server.create_event("宝安区春季招聘会")
    await server.push(first, "j1")
    for phone in ("13800000011", "13800000012"):
        status, body = await server.apply(first, "j1", phone)
        assert status in (200, 201, 202), body

    made: list[str] = []
    page = await pages.open("about:blank", name="admin", viewport=DESKTOP, accept_downloads=True)
    page.on("request", lambda r: made.append(r.url))
    await page.goto(f"{server.url}/admin#token={ADMIN_TOKEN}")
    await page.wait_for_selector('#conn[data-state="live"]', timeout=10_000)
    await page.wait_for_selector("#total-row")
    rows = await _rows(page)
    assert rows["南山区退役军人专场"]["applications"] == "2"
    assert rows["宝安区春季招聘会"]["applications"] == "0"
    assert rows["南山区退役军人专场"]["jobs"] == "3"
    fairs = len(rows) - 1  # other tests' fairs of today share the store
    assert rows["total"]["label"] == f"合计（{fairs} 场）"
    assert int(rows["total"]["applications"]) >= 2
    assert await page.text_content("h1") == "招聘会汇总报表"

    name, xlsx = await _download(page, "#get-xlsx")
    assert xlsx[:2] == b"PK" and name.endswith(".xlsx")  # a zip: the workbook

    # English: the table, and the CSV's headers, follow the language.
    await page.click("[data-lang-toggle]")
    await page.wait_for_function(
        "document.querySelector('h1').textContent === 'Report across fairs'"
    )
    assert (await _rows(page))["total"]["label"] == f"Total ({fairs} fairs)"
    name, data = await _download(page, "#get-csv")
    assert name.endswith(".csv")
    text = data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert any("Applications" in cell for cell in table[0]), table[0]
    assert any(first.id in row or "南山区退役军人专场" in row for row in table), table

    assert pages.errors() == []

    # A range the server refuses (Chromium logs the 422): the field is named, nothing changes.
    await page.fill("#from", "2030-01-02")
    await page.fill("#to", "2030-01-01")
    await page.click("#show")
    await page.wait_for_selector("#range-error:not([hidden])")
    assert "to" in (await page.text_content("#range-error") or "")
    assert "南山区退役军人专场" in await _rows(page)

    # The admin token went in headers only, never in an address the page used.
    assert made and not [url for url in made if ADMIN_TOKEN in url]
    assert second.id  # both fairs were created through the API


async def test_without_or_with_a_wrong_token_the_page_says_so(
    server: LiveServer, pages: Pages
) -> None:
    page = await pages.open(f"{server.url}/admin", name="no-token", viewport=DESKTOP)
    await page.wait_for_selector("#auth-error:not([hidden])")
    event = await server.create_event()
    page = await pages.open(
        f"{server.url}/admin#token={event.staff_token}", name="staff-token", viewport=DESKTOP
    )
    await page.wait_for_selector('#conn[data-state="refused"]', timeout=10_000)
    assert await page.is_visible("#auth-error")
    assert await page.query_selector("#total-row") is None
