"""Shared fixtures: a real store, a real server on loopback, and a small API client.

The store is the embedded Valkey (one for the whole session), or the server named by
``LIVEEVENT_REDIS_URL``. Each test uses its own key prefix, so tests never see each other's
data and nothing is flushed on a shared Redis.

How the tests are laid out: they mirror the package. The tests of ``liveevent/store/x.py`` are
in ``tests/store/``, of ``liveevent/web/x.py`` in ``tests/web/`` (and so for ``domain/``,
``office/``, ``tables/``), of the top-level modules (``cli``, ``config``, ``admin``, ``serve``,
``watch``) in ``tests/`` itself. Security and fault tests sit with the module they test, under a
name that says what they break (``tests/web/test_floods.py``, ``tests/store/test_store_crash.py``).
Three directories are not modules: ``tests/browser/`` drives the pages in headless Chromium
(marker ``browser``; they test pages, not one module), ``tests/cluster/`` runs several nodes on a
Valkey cluster (skipped where none can start), ``tests/benchmarks/`` checks the harness in
``benchmarks/``. Helpers shared across directories: ``tests/support.py`` (a server and its
clients), ``tests/ledger.py`` and ``tests/faultproxy.py``, and ``tests/reliability/`` (a Valkey
process a test may kill, a raw websocket client, and the ``valkey``/``live_on`` fixtures, imported
here so that every directory can use them). Slow tests carry the ``slow`` marker wherever they are.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from liveevent.config import Secret, Settings
from liveevent.store.embedded import EmbeddedStore
from tests.reliability.fixtures import live_on, valkey
from tests.support import ADMIN_TOKEN, LiveServer

__all__ = ["live_on", "valkey"]  # fixtures for every directory (see the docstring)


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("LIVEEVENT_REDIS_URL")
    if url:
        yield url
        return
    store = EmbeddedStore(tmp_path_factory.mktemp("store"))
    url = asyncio.run(store.start())
    yield url
    asyncio.run(store.stop())


@pytest.fixture
def settings(store_url: str, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=Secret(store_url),
        key_prefix=f"test-{uuid.uuid4().hex[:12]}",
        admin_token=Secret(ADMIN_TOKEN),
        data_dir=tmp_path,
        viewers_interval_s=0.5,
        node_ttl_s=3.0,
    )


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    live = LiveServer(settings)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


@pytest.fixture
async def make_server(
    settings: Settings,
) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Start more servers (nodes) sharing the test's store: ``await make_server(**changes)``."""
    started: list[LiveServer] = []

    async def start(**changes: Any) -> LiveServer:
        live = LiveServer(replace(settings, **changes))
        await live.start()
        started.append(live)
        return live

    yield start
    for live in started:
        await live.stop()


# What a skipped test needs, by a word of its skip reason: (what it is, how to enable it).
# The first match wins; a reason matching none is shown as it is.
ENABLE = (
    ("chromium", "browser tests", "apt-get install chromium fonts-noto-cjk"),
    ("playwright", "browser tests", "pip install -e '.[test]' (Playwright drives Chromium)"),
    ("zxing", "QR code tests", "pip install -e '.[test]'"),
    ("pillow", "QR code tests", "pip install -e '.[test]'"),
    (
        "shared/datasets",
        "tests on the real job sheets",
        "put them in ../shared/datasets (see tests/data/SOURCES.md; the synthetic sheets in "
        "tests/data ran in their place)",
    ),
    ("libreoffice", "the LibreOffice export test", "apt-get install libreoffice-calc-nogui"),
    ("iproute2", "the restart test", "apt-get install iproute2"),
)


def describe_skips(reasons: list[str]) -> list[str]:
    """One line per kind of skipped test: how many, why (the first reason, and how many others
    of that kind), and how to enable them."""
    kinds: dict[tuple[str, str], list[str]] = {}
    for reason in reasons:
        reason = reason.removeprefix("Skipped: ")
        match = next((e for e in ENABLE if e[0] in reason.lower()), None)
        key = (match[1], match[2]) if match else (f"tests ({reason})", "")
        kinds.setdefault(key, []).append(reason)
    lines = []
    for (what, how), why in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        line = f"{len(why)} {what} skipped"
        if how:
            others = len(set(why)) - 1
            line += f": {_short(why[0])}" + (f" (and {others} more like it)" if others else "")
            line += f"\n    to run them: {how}"
        lines.append(line)
    return lines


def _short(reason: str) -> str:
    return reason if len(reason) <= 80 else reason[:77] + "..."


def _no_cjk_font() -> bool:
    """True when fontconfig knows no font for Chinese (pages then show boxes for it)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return not found.stdout.strip()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly, at the end of a run, what was skipped and how to enable it (pytest's own
    ``-ra`` list gives each test, but a reader of a passing run rarely reads it)."""
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reasons.append(longrepr[2] if isinstance(longrepr, tuple) else str(longrepr))
    lines = describe_skips(reasons)
    ran_browser = any(
        "browser" in report.keywords for report in terminalreporter.stats.get("passed", [])
    )
    if ran_browser and _no_cjk_font():
        lines.append(
            "the browser tests ran without a Chinese font: their screenshots show boxes\n"
            "    to fix: apt-get install fonts-noto-cjk"
        )
    if not lines:
        return
    terminalreporter.write_sep("=", f"{len(reasons)} test(s) skipped: what they need")
    for line in lines:
        terminalreporter.write_line(line)
