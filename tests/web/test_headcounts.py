"""Headcount ranges everywhere a job is listed: ``GET /jobs``, ``/stats``, the hires export.

One job per case of ``tests/data/headcounts.json`` (``10-20人``, ``20人以上``, ``10人以内``,
unknown, exact with and without ``openings_max``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl

from tests.support import LiveServer

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "headcounts.json").read_text("utf-8")
)
CASES: list[dict[str, Any]] = TABLE["cases"]


def jobs_for_cases() -> list[dict[str, Any]]:
    """One job per case: id ``h0``, ``h1``..., its headcount fields as the case gives them."""
    jobs = []
    for index, case in enumerate(CASES):
        job = {"id": f"h{index}", "employer": f"单位{index}", "title": f"岗位{index}"}
        job |= {k: case[k] for k in ("openings", "openings_max") if k in case}
        jobs.append(job)
    return jobs


def _ends(case: dict[str, Any]) -> tuple[int | None, int | None]:
    low = case.get("openings")
    return low, case.get("openings_max", low)


async def _get(server: LiveServer, path: str, token: str) -> bytes:
    assert server.session is not None
    headers = {"Authorization": f"Bearer {token}"}
    async with server.session.get(server.url + path, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()


async def test_every_list_of_jobs_gives_both_ends(server: LiveServer) -> None:
    event = await server.create_event(jobs=jobs_for_cases())
    status, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert status == 200
    listed = {j["id"]: (j["openings"], j["openings_max"]) for j in body["jobs"]}
    stats = await server.stats(event)
    counted = {j["job_id"]: (j["openings"], j["openings_max"]) for j in stats["jobs"]}
    for index, case in enumerate(CASES):
        assert listed[f"h{index}"] == _ends(case), case
        assert counted[f"h{index}"] == _ends(case), case


async def test_the_hires_export_shows_the_range(server: LiveServer) -> None:
    event = await server.create_event(jobs=jobs_for_cases())
    base = f"/api/events/{event.id}/export/hires"
    for query, header, key in (("", "招聘人数", "zh_short"), ("?lang=en", "openings", "en_short")):
        raw = await _get(server, f"{base}.csv{query}", event.staff_token)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        column = rows[0].index(header)
        shown = {row[1].lstrip("'"): row[column] for row in rows[1:]}
        for index, case in enumerate(CASES):
            assert shown[f"h{index}"] == case[key], (query, case)
    # For scripts: two numbers, an open end left empty.
    raw = await _get(server, f"{base}.csv?form=raw", event.staff_token)
    records = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    ends = {r["job_id"].lstrip("'"): (r["openings"], r["openings_max"]) for r in records}
    for index, case in enumerate(CASES):
        low, high = _ends(case)
        want = ("" if low is None else str(low), "" if high is None else str(high))
        assert ends[f"h{index}"] == want, case
    # The workbook says the same as the CSV.
    book = openpyxl.load_workbook(
        io.BytesIO(await _get(server, f"{base}.csv?format=xlsx", event.staff_token))
    )
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    column = sheet[0].index("招聘人数")
    shown_xlsx = {row[1]: row[column] for row in sheet[1:]}
    for index, case in enumerate(CASES):
        assert shown_xlsx[f"h{index}"] == case["zh_short"], case
