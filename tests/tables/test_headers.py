"""Header words people use (issue 14, part 2): short and long forms, decorated headers, the
headers of the real job-site files in ../shared/datasets and of fair templates."""

from __future__ import annotations

import pytest

from liveevent.tables.jobs_in import parse_job_sheet
from liveevent.tables.outcomes_in import parse_outcome_sheet

VALUES = {
    "employer": "甲公司",
    "title": "焊工",
    "openings": "3",
    "salary": "5000",
    "location": "武汉",
    "description": "负责焊接",
    "id": "J1",
}

# Header rows as sheets have them, and the field of each column in order: e(mployer), t(itle),
# o(penings), s(alary), l(ocation), d(escription), i(d); "-" for a column the import ignores.
FIELD: dict[str, str | None] = {
    "e": "employer",
    "t": "title",
    "o": "openings",
    "s": "salary",
    "l": "location",
}
FIELD |= {"d": "description", "i": "id", "-": None}
JOB_HEADERS: list[tuple[str, str]] = [
    # The staff page's own labels, refused before issue 14.
    ("单位,岗位,人数,薪资,地点", "etosl"),
    ("用人单位,职位,招聘人数,待遇,工作地点", "etosl"),
    ("企业,岗位名称,岗位人数,工资,城市", "etosl"),
    ("企业名称,招聘职位,名额,薪酬待遇,工作地区", "etosl"),
    ("招聘单位名称,工种,需求人数,月薪范围,上班地点", "etosl"),
    ("参会单位,需求岗位,计划招聘人数,薪资范围,所在城市", "etosl"),
    ("公司全称,职务,拟招人数,薪资水平,办公地点", "etosl"),
    ("序号,单位全称,岗位/职位,招聘数量,薪水,地址", "-etosl"),
    # Decorated: required stars, units and notes in brackets, numbering, colons, spaces.
    ("*单位名称,*岗位名称,招聘人数（人）,薪资(元/月),工作地点【必填】", "etosl"),
    ("1.单位,2.岗位,3.人数,4.薪资,5.地点", "etosl"),
    ("单位名称：,岗位名称：,人 数,薪 资,地 点", "etosl"),
    ("单 位,岗 位,人数(名),待遇(元),地点", "etosl"),
    # English, in any case and spacing.
    ("Enterprise,Role,Vacancies,Wage,Place", "etosl"),
    ("Organization,Position Title,Number of openings,Compensation,Work Location", "etosl"),
    # Descriptions and ids in their other names.
    ("编号,单位,岗位,任职资格", "ietd"),
    ("岗位代码,企业全称,职位,工作内容,工作区域", "ietdl"),
    ("职位ID,招聘企业,岗位,岗位要求,人数", "ietdo"),
    # The real files' headers (../shared/datasets), the employer column renamed to forms that
    # were refused before.
    ("单位,标题,城市,薪资,学历,经历,招聘人数,公司类型", "etls--o-"),
    (",招聘公司,发布时间,岗位名称,岗位需求,工资待遇,所属行业", "-e-tds-"),
    ("职位名称,雇主,工作地点,工作经验,学历,招聘人数,发布时间", "tel--o-"),
]  # fmt: skip


@pytest.mark.parametrize(("header", "codes"), JOB_HEADERS, ids=[h for h, _ in JOB_HEADERS])
def test_job_sheet_header_words(header: str, codes: str) -> None:
    fields = [FIELD[code] for code in codes]
    assert len(header.split(",")) == len(fields)
    row = ",".join(VALUES[f] if f else "x" for f in fields)
    result = parse_job_sheet(f"{header}\n{row}\n".encode())
    assert result.problems == () and result.warnings == ()
    (job,) = result.rows
    read = {
        "employer": job.employer,
        "title": job.title,
        "openings": str(job.openings) if job.openings else None,
        "salary": job.salary,
        "location": job.location,
        "description": job.description,
        "id": job.id,
    }
    assert {f: read[f] for f in fields if f} == {f: VALUES[f] for f in fields if f}
    assert all(read[f] is None for f in read if f not in fields)


OUTCOME_HEADERS: list[tuple[str, str]] = [
    ("报名编号,录用情况", "a1,录用"),
    ("申请单号,处理结果", "a1,录用"),
    ("投递编号,录用结果", "a1,录用"),
    ("Application No,Result", "a1,hired"),
    ("联系方式,应聘岗位,录用状态", "13800138000,焊工,录用"),
    ("电话号码,申请职位,处理状态", "13800138000,焊工,录用"),
    ("联系手机,报名岗位,应聘状态", "13800138000,焊工,录用"),
    ("移动电话,岗位代码,进度", "13800138000,J1,录用"),
    ("*手机号码,职位ID,结果（录用/未录用）", "13800138000,J1,录用"),
]


@pytest.mark.parametrize(("header", "row"), OUTCOME_HEADERS, ids=[h for h, _ in OUTCOME_HEADERS])
def test_outcome_sheet_header_words(header: str, row: str) -> None:
    result = parse_outcome_sheet(f"{header}\n{row}\n".encode())
    assert result.problems == ()
    (outcome,) = result.rows
    assert outcome.status == "hired"
    assert outcome.application_id == "a1" or outcome.phone == "13800138000"
