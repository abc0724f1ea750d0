"""Write ``fair_jobs_messy.xlsx``, the sheet the README's "Importing a sheet" section imports:
``python -m tests.data.make_readme_sheet``. Every company here is made up.

It holds, in a dozen rows, what an office's sheet brings (issue 14): a title row above the
header; the header's first cell starting with a doubled BOM; the short header words
``单位,岗位,人数,薪资,地点``; 单位 merged down over each employer's jobs; headcounts
``10-20人``, ``20人以上``, ``若干``, ``招8人``; a hidden row (a cancelled job); the same job
twice; and a false sheet size (``<dimension ref="A1"/>``, as WPS writes it).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
SHEET = HERE / "fair_jobs_messy.xlsx"

TITLE = "2026年退役军人专场招聘会 岗位汇总（请勿改动表头）"
HEADER = ["\ufeff\ufeff单位", "岗位", "人数", "薪资", "地点"]
# (employer or None under a merged 单位 cell, title, headcount, salary, place, hidden)
ROWS: list[tuple[str | None, str, object, str, str, bool]] = [
    ("示例速运有限公司", "片区运营主管", "10-20人", "9-15千/月", "深圳-南山区", False),
    (None, "快递收派员", "20人以上", "8-12千/月", "深圳-宝安区", False),
    (None, "仓储管理员", "若干", "6-8千/月", "深圳-龙华区", False),
    ("示例电力工程公司", "输电线路运维员", 15, "10-14千/月", "北京-丰台区", False),
    (None, "已取消岗位（勿导入）", 3, "面议", "北京-丰台区", True),
    (None, "变电检修工", "招8人", "9-13千/月", "北京-昌平区", False),
    ("示例新能源科技", "设备维修技师", "10人以内", "8-12千/月", "宁德-蕉城区", False),
    (None, "设备维修技师", "10人以内", "8-12千/月", "宁德-蕉城区", False),
]


def build() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "岗位"
    sheet.append([TITLE])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    first = None
    for employer, title, headcount, salary, place, hidden in ROWS:
        sheet.append([employer, title, headcount, salary, place])
        row = sheet.max_row
        if employer is not None:
            first = row
        elif first is not None:
            # 单位 merged down over this employer's rows so far (merging again grows the range).
            for merged in list(sheet.merged_cells.ranges):
                if merged.min_col == 1 and merged.min_row == first:
                    sheet.unmerge_cells(str(merged))
            sheet.merge_cells(f"A{first}:A{row}")
        if hidden:
            sheet.row_dimensions[row].hidden = True
    out = io.BytesIO()
    book.save(out)
    return _false_dimension(out.getvalue())


def _false_dimension(xlsx: bytes) -> bytes:
    """The same workbook with ``<dimension ref="A1"/>``, as WPS and streaming writers save it."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', data)
            dst.writestr(info, data)
    return out.getvalue()


if __name__ == "__main__":
    SHEET.write_bytes(build())
    print(SHEET)
