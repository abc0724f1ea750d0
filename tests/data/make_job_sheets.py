"""Write the synthetic job sheets in this folder (see SOURCES.md): ``python -m
tests.data.make_job_sheets``. Deterministic: running it again gives the same bytes (the XLSX
up to its zip timestamps), so the files in the repository can be checked against it.

Every company, title and URL here is made up. Each file reproduces the features of one real
file in ``../shared/datasets`` that make it hard to import; the numbers below (rows, repairs,
distinct jobs) are what the tests in ``tests/tables/test_data_fixtures.py`` expect.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent

FRONTEND_HEADER = [
    "标题",
    "公司名字",
    "城市",
    "薪资",
    "学历",
    "经历",
    "招聘人数",
    "公司类型",
    "公司规模",
    "公司详情页",
    "招聘发布时间",
]
BIGDATA_HEADER = [
    "职位名称",
    "公司名称",
    "工作地点",
    "工作经验",
    "学历",
    "招聘人数",
    "发布时间",
    "公司性质",
    "公司规模",
    "所属行业",
    "工资",
]
BOSS_HEADER = [
    "",
    "公司名称",
    "发布时间",
    "岗位名称",
    "岗位需求",
    "工资待遇",
    "所属行业",
    "招聘网址",
    "结束时间",
]

COMPANIES = [
    "星河示例科技有限公司",
    "青禾样例网络有限公司",
    "云杉虚构信息技术有限公司",
    "蓝鲸演示软件公司",
]
CITIES = ["深圳-南山区", "北京", "杭州-西湖区", "上海-徐汇区", "广州-天河区"]
SALARIES = ["2.5-5万/月", "20-30万/年", "6-8千/月", "1-1.6万/月", ""]
HEADCOUNTS = ["招8人", "招若干人", "招1人", "招3人", ""]  # "" : a blank headcount

# Frontend sheet: 24 distinct jobs; rows 5, 11 and 17 of the data (0-based job index) are
# column-shifted (the headcount sits under 学历, 招聘人数 is empty), and the header row comes
# back every 8 rows, as in a sheet pasted together from scraped pages.
FRONTEND_JOBS = 24
FRONTEND_SHIFTED = (5, 11, 17)
FRONTEND_REPEAT_HEADER_EVERY = 8


def frontend_rows() -> list[list[object]]:
    """The frontend sheet's data rows (with the repeated headers), publish time a datetime."""
    rows: list[list[object]] = []
    start = datetime.datetime(2021, 12, 7, 22, 30)
    for n in range(FRONTEND_JOBS):
        if n and n % FRONTEND_REPEAT_HEADER_EVERY == 0:
            rows.append(list(FRONTEND_HEADER))
        headcount = HEADCOUNTS[n % len(HEADCOUNTS)] or ""
        education, count = "本科", headcount
        if n in FRONTEND_SHIFTED:
            education, count = headcount or "招2人", ""
        rows.append(
            [
                f"前端开发工程师{n:02d}",
                COMPANIES[n % len(COMPANIES)],
                CITIES[n % len(CITIES)],
                SALARIES[n % len(SALARIES)],
                education,
                f"{n % 5 + 1}年经验",
                count,
                "民营公司",
                "150-500人",
                f"https://jobs.example.invalid/co{1000 + n}.html",
                start - datetime.timedelta(minutes=37 * n),
            ]
        )
        if n % 6 == 0:  # the same posting scraped twice
            rows.append(list(rows[-1]))
    return rows


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _frontend_csv_text() -> str:
    def cell(value: object) -> object:
        if isinstance(value, datetime.datetime):
            return f"{value.year}/{value.month}/{value.day} {value.hour}:{value.minute:02d}"
        return value

    return _csv(FRONTEND_HEADER, [[cell(v) for v in row] for row in frontend_rows()])


def write_frontend_gbk_csv(path: Path) -> None:
    path.write_bytes(_frontend_csv_text().encode("gbk"))


def write_frontend_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(FRONTEND_HEADER)
    for row in frontend_rows():
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=2, min_col=11, max_col=11):
        if isinstance(cell.value, datetime.datetime):
            cell.number_format = "m/d/yy h:mm"  # a serial date, shown as Excel shows it
    book.properties.creator = "liveevent tests/data/make_job_sheets.py"
    book.properties.created = datetime.datetime(2026, 11, 30)
    book.properties.modified = datetime.datetime(2026, 11, 30)
    book.save(path)


BIGDATA_JOBS = 12


def write_bigdata_utf8_csv(path: Path) -> None:
    rows = [
        [
            f"大数据开发工程师{n:02d}",
            COMPANIES[n % len(COMPANIES)],
            CITIES[n % len(CITIES)],
            f"{n % 4 + 1}-{n % 4 + 3}年经验",
            "本科",
            HEADCOUNTS[n % 4],  # never blank here
            f"{n % 3 + 1}-{n % 28 + 1}发布",  # a date without a year
            "民营公司",
            "500-1000人",
            "互联网/电子商务,计算机软件",  # a comma inside a quoted cell
            ["1.8-3万/月", "2.5-3.5万/月", "15-25万/年"][n % 3],
        ]
        for n in range(BIGDATA_JOBS)
    ]
    path.write_bytes(_csv(BIGDATA_HEADER, rows).encode("utf-8"))


# The mixed sheet: 9 distinct postings, each repeated (the real file holds 780 rows of 59).
BOSS_JOBS = 9
BOSS_REPEATS = 4
BOSS_SALARIES = ["10000-18000", "12000以上", "面议", "8000-12000"]


def write_boss_gb18030_csv(path: Path) -> None:
    rows = []
    for repeat in range(BOSS_REPEATS):
        for n in range(BOSS_JOBS):
            # ✓ and 𠀀 have no GBK code: GB18030 writes them as 4 bytes, so strict GBK fails.
            description = f"a) 熟悉Python ✓\nb) 有分布式系统经验\nc) 生僻字测试：𠀀 第{n}条"
            rows.append(
                [
                    repeat * BOSS_JOBS + n,  # the index column with the empty header
                    COMPANIES[n % len(COMPANIES)],
                    f"2018-03-{n + 1:02d}",
                    f"Python开发工程师{n}",
                    description,
                    BOSS_SALARIES[n % len(BOSS_SALARIES)],
                    "计软/通信/互联网/电子",
                    f"https://jobs.example.invalid/detail/{n}.html",
                    f"2018-04-{n + 1:02d}",
                ]
            )
    path.write_bytes(_csv(BOSS_HEADER, rows).encode("gb18030"))


FILES = {
    "jobs_51job_frontend_gbk.csv": write_frontend_gbk_csv,
    "jobs_51job_frontend_excel.xlsx": write_frontend_xlsx,
    "jobs_51job_bigdata_utf8.csv": write_bigdata_utf8_csv,
    "jobs_boss_mixed_gb18030.csv": write_boss_gb18030_csv,
}


def main() -> None:
    for name, write in FILES.items():
        write(HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
