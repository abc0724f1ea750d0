"""The staff page in Chromium: the chart's y-axis, and the applications list on a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, DESKTOP, HAVE_CHROMIUM, PHONE, Pages
from tests.support import LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]


@pytest.mark.parametrize("applications", [1, 3])
async def test_y_axis_labels_are_distinct_and_at_their_heights(
    server: LiveServer, pages: Pages, applications: int
) -> None:
    # With a peak of 1 the axis read 0, 1, 1 (the half-way line, 0.5, rounded to 1), and with
    # a peak of 3 it read 0, 2, 3: a staff member saw a bar of 1 reach the line labelled 1.
    event = await server.create_event()
    await server.push(event, "j1")
    for n in range(applications):
        status, body = await server.apply(event, "j1", f"1380000{n:04d}", name="赵铁柱")
        assert status == 201, body
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=DESKTOP
    )
    await staff.wait_for_selector(".chart-svg .bar")
    labels = await staff.eval_on_selector_all(
        '.chart-svg text.axis[text-anchor="end"]',
        "els => els.map(e => [e.textContent, Number(e.getAttribute('y'))])",
    )
    values = [int(text) for text, _ in labels]
    assert values == sorted(set(values)) and values[0] == 0 and values[-1] >= applications
    # Every label sits at its own height: pixels per application are the same for all of them.
    zero_y = labels[0][1]
    per_unit = {
        round((zero_y - y) / value, 3)
        for (_, y), value in zip(labels, values, strict=True)
        if value
    }
    assert len(per_unit) == 1, labels


async def test_applications_list_fits_a_phone_and_names_stay_on_one_line(
    server: LiveServer, pages: Pages
) -> None:
    # A long job title in the job filter pushed the page wider than the phone, and the name
    # column was squeezed to one character per line (王 / 建 / 军).
    jobs = [
        {
            "id": "j1",
            "employer": "中国石化销售股份有限公司北京石油分公司",
            "title": "加油站站长（朝阳区）",
        }
    ]
    event = await server.create_event(jobs=jobs)
    await server.push(event, "j1")
    status, body = await server.apply(event, "j1", "13800000001", name="王建军")
    assert status == 201, body
    staff = await pages.open(
        f"{server.url}/staff/{event.id}#token={event.staff_token}", name="staff", viewport=PHONE
    )
    row = staff.locator(f'#apps tr[data-application-id="{body["application_id"]}"]')
    await row.wait_for()
    assert await staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name = row.locator("td").nth(3)
    assert await name.inner_text() == "王建军"
    line = await name.evaluate("td => parseFloat(getComputedStyle(td).lineHeight)")
    name_box, row_box = await name.bounding_box(), await row.bounding_box()
    assert name_box is not None and row_box is not None
    assert name_box["width"] > 2.5 * line, name_box  # three characters side by side
    assert row_box["height"] < 5 * line, row_box  # the job label wraps, but not per character
    label = staff.locator(".filters label > span").first  # 岗位, beside the job filter
    label_box = await label.bounding_box()
    assert label_box is not None and label_box["height"] < 1.5 * line, label_box
