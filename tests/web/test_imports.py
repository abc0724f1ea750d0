"""Job sheets through POST /api/events/{id}/jobs: CSV (GBK, UTF-8) and XLSX, all or nothing."""

from __future__ import annotations

import io
import json
import os
import urllib.parse
from pathlib import Path

import aiohttp
import openpyxl
import pytest

from tests.support import ADMIN_TOKEN, LiveServer

# A worktree in another folder (or CI) points at the files with LIVEEVENT_TEST_DATASETS.
DATASETS = Path(
    os.environ.get("LIVEEVENT_TEST_DATASETS")
    or (Path(__file__).resolve().parents[3] / "shared" / "datasets")
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GBK_SHEET = (
    "公司名称,职位名称,招聘人数,薪资,工作地点,岗位描述\r\n"
    '顺丰速运有限公司,片区运营主管,招８人,6-8千/月,深圳,"负责片区运营\n带领团队"\r\n'
    "\r\n"
    "公司名称,职位名称,招聘人数,薪资,工作地点,岗位描述\r\n"  # a header repeated in the data
    "京东物流,仓储管理员,招若干人,面议,北京,\r\n"
    "京东物流,仓储管理员,5,面议,北京,\r\n"  # the same posting again: merged
)
BAD_SHEET = (
    "employer,title,openings\r\n"
    "京东物流,仓储管理员,3\r\n"
    ",叉车司机,2\r\n"  # no employer
    "国家电网,运维员,lots\r\n"  # not a headcount: a warning, the job kept (issue 14)
)


async def post_sheet(
    server: LiveServer, event_id: str, token: str, data: bytes, content_type: str, query: str = ""
) -> tuple[int, dict]:  # type: ignore[type-arg]
    status, body = await server.call(
        "POST",
        f"/api/events/{event_id}/jobs{query}",
        token=token,
        data=data,
        headers={"Content-Type": content_type},
    )
    assert isinstance(body, dict), body
    return status, body


async def test_gbk_csv_with_chinese_headers(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    status, body = await post_sheet(
        server, event.id, event.staff_token, GBK_SHEET.encode("gbk"), "text/csv"
    )
    assert status == 201, body
    assert body["created"] == 2 and body["merged"] == 1 and body["rejected"] == []
    jobs = {
        j["title"]: j for j in (await server.call("GET", f"/api/events/{event.id}/jobs"))[1]["jobs"]
    }
    assert jobs["片区运营主管"]["employer"] == "顺丰速运有限公司"
    assert jobs["片区运营主管"]["openings"] == 8  # full-width digits
    assert jobs["片区运营主管"]["description"] == "负责片区运营\n带领团队"
    assert jobs["仓储管理员"]["openings"] == 5  # 招若干人 + 5
    # Importing the same sheet again updates the same jobs (stable ids), creates none.
    status, again = await post_sheet(
        server, event.id, event.staff_token, GBK_SHEET.encode("gbk"), "text/csv"
    )
    assert status == 200 and again["created"] == 0 and again["updated"] == 2
    assert sorted(again["job_ids"]) == sorted(body["job_ids"])


async def test_a_bad_row_rejects_the_whole_file(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    before = (await server.call("GET", f"/api/events/{event.id}/jobs"))[1]["jobs"]
    status, body = await post_sheet(
        server, event.id, event.staff_token, BAD_SHEET.encode(), "text/csv"
    )
    assert status == 422 and body["error"]["code"] == "invalid"
    fields = body["error"]["fields"]
    assert set(fields) == {"row 3: employer"}, fields
    after = (await server.call("GET", f"/api/events/{event.id}/jobs"))[1]["jobs"]
    assert after == before  # nothing imported


async def test_skip_invalid_imports_the_good_rows(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    status, body = await post_sheet(
        server, event.id, event.staff_token, BAD_SHEET.encode(), "text/csv", "?skip_invalid=1"
    )
    assert status == 201 and body["created"] == 2
    assert [(p["row"], p["column"]) for p in body["rejected"]] == [(3, "employer")]
    assert [(p["row"], p["column"]) for p in body["warnings"]] == [(4, "openings")]


async def test_xlsx_upload_and_explicit_mapping(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["单位", "岗位名", "名额"])
    sheet.append(["中国铁建", "安全员", 12])
    out = io.BytesIO()
    book.save(out)
    mapping = urllib.parse.quote(
        json.dumps({"单位": "employer", "岗位名": "title", "名额": "openings"})
    )
    status, body = await post_sheet(
        server, event.id, event.staff_token, out.getvalue(), XLSX, f"?mapping={mapping}"
    )
    assert status == 201, body
    jobs = (await server.call("GET", f"/api/events/{event.id}/jobs"))[1]["jobs"]
    assert any(j["employer"] == "中国铁建" and j["openings"] == 12 for j in jobs)


async def test_multipart_form_and_errors(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    form = aiohttp.FormData()
    form.add_field(
        "file",
        b"company,job\r\nACME,=cmd|' /C calc'!A0\r\n",
        filename="jobs.csv",
        content_type="text/csv",
    )
    form.add_field("mapping", json.dumps({"company": "employer", "job": "title"}))
    assert server.session is not None
    async with server.session.post(
        f"{server.url}/api/events/{event.id}/jobs",
        data=form,
        headers={"Authorization": f"Bearer {event.staff_token}"},
    ) as r:
        assert r.status == 201, await r.text()
    status, body = await post_sheet(
        server, event.id, event.staff_token, b"just,words\r\n1,2\r\n", "text/csv"
    )
    assert status == 422 and "file" in body["error"]["fields"]
    status, body = await post_sheet(
        server, event.id, event.host_token, BAD_SHEET.encode(), "text/csv"
    )
    assert status == 403
    status, body = await post_sheet(
        server, event.id, ADMIN_TOKEN, b"employer,title\r\nA,B\r\n", "text/csv", "?mapping=notjson"
    )
    assert status == 422 and "mapping" in body["error"]["fields"]


@pytest.mark.skipif(
    not DATASETS.is_dir(),
    reason=f"real job files, not shipped (no licence to copy them): {DATASETS} is not here",
)
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in DATASETS.glob("*.*") if p.suffix in (".csv", ".xlsx"))
    if DATASETS.is_dir()
    else ["none"],
)
async def test_shared_datasets_import(server: LiveServer, name: str) -> None:
    event = await server.create_event(live=False)
    data = (DATASETS / name).read_bytes()
    content_type = XLSX if name.endswith(".xlsx") else "text/csv"
    status, body = await post_sheet(
        server, event.id, event.staff_token, data, content_type, "?skip_invalid=1"
    )
    assert status in (200, 201), body
    assert body["created"] > 0


def _workbook(rows: list[list[object]], *, merges: list[str], hidden: list[int]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_sheet_as_a_fair_office_saves_it(server: LiveServer) -> None:
    """The staff page's own header words, an employer merged over its jobs, a cancelled job
    hidden, headcounts as people write them: all imported, the report says what was skipped."""
    event = await server.create_event(live=False)
    data = _workbook(
        [
            ["单位", "岗位", "人数", "薪资", "地点"],
            ["武汉钢铁集团", "焊工", "10-20人", "6-8千/月", "武汉"],
            [None, "电工", "20人以上", "面议", "武汉"],
            [None, "钳工（已取消岗位，勿导入）", "3", "面议", "武汉"],
            [None, "质检员", "若干", "5000", "武汉"],
            ["宜昌港务", "调度员", "见附件", "面议", "宜昌"],
        ],
        merges=["A2:A5"],
        hidden=[4],
    )
    status, body = await post_sheet(server, event.id, event.staff_token, data, XLSX)
    assert status == 201, body
    assert body["created"] == 4 and body["rejected"] == []
    assert [(w["row"], w["column"]) for w in body["warnings"]] == [(4, None), (6, "人数")]
    listed = (await server.call("GET", f"/api/events/{event.id}/jobs"))[1]["jobs"]
    jobs = {j["title"]: j for j in listed if j["id"] in body["job_ids"]}
    assert {title: j["employer"] for title, j in jobs.items()} == {
        "焊工": "武汉钢铁集团",
        "电工": "武汉钢铁集团",
        "质检员": "武汉钢铁集团",
        "调度员": "宜昌港务",
    }
    counts = {title: (j["openings"], j["openings_max"]) for title, j in jobs.items()}
    assert counts == {
        "焊工": (10, 20),
        "电工": (20, None),
        "质检员": (None, None),
        "调度员": (None, None),
    }


EXCEL_JOBS = [
    {"id": "007", "employer": "甲公司", "title": "焊工"},
    {"id": "0420", "employer": "乙公司", "title": "电工"},
    {"id": "123456789012", "employer": "丙公司", "title": "钳工"},
    {"id": "J-1", "employer": "丁公司", "title": "会计"},
]
# Outcome rows whose ids Excel turned into numbers; {a7}, {a420}, ... are the application ids.
EXCEL_ROWS = {
    "job 007 saved as 7": "手机号,职位编号,结果\r\n13800000001,7,录用\r\n",
    "job 0420 saved as 420.0": "手机号,职位编号,结果\r\n13800000002,420.0,录用\r\n",
    "a long job id in scientific notation": (
        "手机号,职位编号,结果\r\n13800000003,1.23457E+11,录用\r\n"
    ),
    "application id as a float": "申请编号,结果\r\n{a7}.0,录用\r\n",
    "application id in full-width digits, job id without zeros": (
        "申请编号,职位编号,结果\r\n{a420_wide},420,录用\r\n"
    ),
}


@pytest.mark.parametrize("case", EXCEL_ROWS, ids=list(EXCEL_ROWS))
async def test_outcome_ids_that_excel_turned_into_numbers_are_matched(
    server: LiveServer, case: str
) -> None:
    event = await server.create_event(jobs=EXCEL_JOBS)
    apps = {}
    for job, phone in (
        ("007", "13800000001"),
        ("0420", "13800000002"),
        ("123456789012", "13800000003"),
    ):
        status, body = await server.apply(event, job, phone)
        assert status == 201, body
        apps[job] = body["application_id"]
    wide = apps["0420"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    sheet = EXCEL_ROWS[case].format(a7=apps["007"], a420_wide=wide)
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data=sheet.encode("gbk"),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    assert report["unmatched"] == [] and report["problems"] == []
    (change,) = report["changes"]
    assert change["to"] == "hired" and change["application_id"] in apps.values()


async def test_an_excel_number_that_fits_several_ids_is_reported_not_guessed(
    server: LiveServer,
) -> None:
    jobs = [*EXCEL_JOBS, {"id": "07", "employer": "戊公司", "title": "司机"}]
    event = await server.create_event(jobs=jobs)
    status, body = await server.apply(event, "007", "13800000001")
    assert status == 201, body
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data="手机号,职位编号,结果\r\n13800000001,7,录用\r\n".encode("gbk"),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200 and report["changes"] == []
    (miss,) = report["unmatched"]
    assert "'007'" in miss["message"] and "'07'" in miss["message"]


async def test_a_job_sheet_sent_back_from_excel_updates_the_same_jobs(server: LiveServer) -> None:
    event = await server.create_event(live=False, jobs=EXCEL_JOBS)
    sheet = "编号,单位,岗位,人数\r\n7,甲公司,焊工,3\r\n420,乙公司,电工,2\r\nJ-1,丁公司,会计,1\r\n"
    status, body = await post_sheet(server, event.id, event.staff_token, sheet.encode(), "text/csv")
    assert status == 200, body
    assert (body["created"], body["updated"]) == (0, 3)
    assert sorted(body["job_ids"]) == ["007", "0420", "J-1"]
    assert [(w["row"], w["column"]) for w in body["warnings"]] == [(2, "id"), (3, "id")]
