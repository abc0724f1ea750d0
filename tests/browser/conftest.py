"""Browser fixtures: Debian's Chromium driven by Playwright's async API.

Playwright's sync API cannot run inside the test's asyncio loop (the ``server`` fixture lives
there), so everything here is async. Every page is screenshotted by the test at the moments
that matter; a failing test also gets a ``FAILED-`` screenshot of every page it opened.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HAVE_CHROMIUM = CHROMIUM.exists()
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1440, "height": 900}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class OpenedPage:
    name: str
    page: Any
    errors: list[str] = field(default_factory=list)


class Opener(Protocol):
    async def __call__(
        self, url: str, *, name: str, viewport: dict[str, int] = ..., **context: Any
    ) -> Any: ...


@dataclass
class Pages:
    """Opens pages, each in its own browser context (its own localStorage)."""

    browser: Any
    test_name: str
    opened: list[OpenedPage] = field(default_factory=list)

    async def open(
        self, url: str, *, name: str, viewport: dict[str, int] = PHONE, **context: Any
    ) -> Any:
        ctx = await self.browser.new_context(
            viewport=viewport,
            device_scale_factor=2 if viewport["width"] < 800 else 1,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            # The pages' CSP forbids eval, which Playwright's wait_for_function needs; the
            # pages themselves run under it in tests/browser/test_csp.py.
            bypass_csp=context.pop("bypass_csp", True),
            **context,
        )
        page = await ctx.new_page()
        opened = OpenedPage(name, page)
        page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None,
        )
        self.opened.append(opened)
        await page.goto(url)
        return page

    async def shot(self, page: Any, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.test_name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path

    def errors(self) -> list[str]:
        # A refused socket while the server restarts is expected, not a page bug.
        return [
            f"{o.name}: {e}"
            for o in self.opened
            for e in o.errors
            if "WebSocket connection" not in e and "ERR_CONNECTION_REFUSED" not in e
        ]


@pytest.fixture
async def pages(browser: Any, request: pytest.FixtureRequest) -> AsyncIterator[Pages]:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for stale in SHOTS.glob(f"FAILED-{name}-*.png"):  # from an earlier run of this test
        stale.unlink()
    opened = Pages(browser, name)
    yield opened
    report = getattr(request.node, "report_call", None)
    for item in opened.opened:
        if report is None or report.failed:
            SHOTS.mkdir(parents=True, exist_ok=True)
            try:
                await item.page.screenshot(
                    path=str(SHOTS / f"FAILED-{name}-{item.name}.png"), full_page=True
                )
            except Exception as exc:  # a crashed page still lets the others be saved
                print(f"no failure screenshot of {item.name}: {exc}")
        await item.page.context.close()
