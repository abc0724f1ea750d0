"""Sheets read in a child process: results, errors and limits cross the pipe intact, and a
cancelled read leaves no child behind."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import time

import pytest

from liveevent.office.sheet_process import SheetReader
from liveevent.tables.errors import NoHeaderError, TableTimeoutError, TableTooLargeError
from liveevent.tables.sheet import SheetLimits
from tests.support import eventually

SHEET = (
    "公司名称,职位名称,招聘人数,工作地点\r\n"
    "京东物流,仓储管理员,招8人,北京\r\n"
    "顺丰,快递员,3,深圳\r\n"
)


def big_sheet(rows: int) -> bytes:
    lines = (f"京东物流{i},仓储管理员,招8人,北京" for i in range(rows))
    return ("公司名称,职位名称,招聘人数,工作地点\r\n" + "\r\n".join(lines)).encode()


def sheet_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "liveevent-sheet"]


async def test_jobs_come_back_as_domain_jobs() -> None:
    sheet = await SheetReader(SheetLimits()).read_jobs(
        SHEET.encode("gbk"), content_type="jobs.csv", mapping=None
    )
    assert [(j.employer, j.title, j.openings, j.location) for j in sheet.jobs] == [
        ("京东物流", "仓储管理员", 8, "北京"),
        ("顺丰", "快递员", 3, "深圳"),
    ]
    assert sheet.problems == () and not sheet_children()


async def test_errors_keep_their_attributes_across_the_process() -> None:
    reader = SheetReader(SheetLimits(max_rows=5))
    with pytest.raises(NoHeaderError) as no_header:
        await reader.read_jobs(b"a,b\r\n1,2\r\n", content_type="x.csv", mapping=None)
    assert no_header.value.needed
    with pytest.raises(TableTooLargeError) as too_large:
        await reader.read_outcomes(big_sheet(10), content_type="x.csv", mapping=None)
    assert too_large.value.limit == "max_sheet_rows"
    error = pickle.loads(pickle.dumps(TableTooLargeError("x", limit="max_sheet_columns")))
    assert error.limit == "max_sheet_columns" and str(error) == "x"


async def test_the_budget_stops_a_long_read() -> None:
    reader = SheetReader(SheetLimits(budget_s=0.1))
    with pytest.raises(TableTimeoutError, match="sheet_read_budget_s"):
        await reader.read_jobs(big_sheet(60_000), content_type="x.csv", mapping=None)
    assert not sheet_children()


async def test_a_cancelled_read_kills_its_child() -> None:
    reader = SheetReader(SheetLimits())
    task = asyncio.create_task(
        reader.read_jobs(big_sheet(80_000), content_type="x.csv", mapping=None)
    )
    assert await eventually(lambda: bool(sheet_children()), 5.0), "the read should be running"
    start = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The waiting thread notices within 0.25 s.
    assert await eventually(lambda: not sheet_children(), 2.0)
    assert time.perf_counter() - start < 2.0
