"""The fair report as an XLSX workbook, and the report across fairs as XLSX, CSV or text.

Workbooks are for organisers who report upward: every sheet has a Chinese header row with the
English under it (frozen above the data), so one file serves both readers; numbers are number
cells. Sheets of a fair's report:

    概览 Overview        the figures of the fair, one a row (项目, Item, 数值), then notes
    按城市 By city       城市, jobs, openings, unique viewers, applications, applicants,
                         hires, 求人倍率
    按会场 By venue      会场, check-ins, applications, hires
    按渠道 By channel    渠道, unique viewers, applications, hires
    渠道×城市            渠道, 城市, unique viewers, applications, hires
    按雇主 By employer   雇主, jobs, openings, ranged, unknown, applications, intents, hires
    按职位 By job        雇主, 职位, 城市, job id, openings, applications, applicants, intents,
                         hires, 求人倍率

A row not attributed (no city, no channel...) is labelled 未注明 (not given). The report across
fairs is one sheet (汇总 Fairs): a row per fair, a total row (合计), the notes. Its CSV has one
header row in the chosen language (``zh-CN`` or ``en``) and the same rows, UTF-8 with a BOM.
Cells are written by ``tables.xlsx_out`` (formula-escaped, as every export).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import IO
from zoneinfo import ZoneInfo

from liveevent.domain.fair_report import Figures
from liveevent.office.report import FairReport, FairsReport, Labelled
from liveevent.tables.csv_out import CSV_BOM, format_row
from liveevent.tables.xlsx_out import XlsxBook

# Each figure's header: (Chinese, English).
LABELS: dict[str, tuple[str, str]] = {
    "employers": ("参会企业", "Employers"),
    "jobs": ("岗位数", "Job posts"),
    "openings": ("招聘人数", "Openings"),
    "ranged": ("人数为区间的岗位", "Jobs with a range"),
    "unknown": ("人数不详的岗位", "Jobs, openings unknown"),
    "viewers_peak": ("在线峰值", "Peak viewers"),
    "unique_viewers": ("观看人数", "Unique viewers"),
    "checkins": ("现场签到", "On-site check-ins"),
    "applications": ("投递简历", "Applications"),
    "applicants": ("求职人数", "Applicants"),
    "intents": ("达成意向", "Intents"),
    "hires": ("录用人数", "Hires"),
    "ratio": ("求人倍率", "Openings per applicant"),
}
NOT_GIVEN = "未注明 not given"

# The sheets of a fair's report: (section, sheet name, label headers, figures shown).
SHEETS: tuple[tuple[str, str, tuple[tuple[str, str], ...], tuple[str, ...]], ...] = (
    (
        "by_city",
        "按城市 By city",
        (("城市", "City"),),
        ("jobs", "openings", "unique_viewers", "applications", "applicants", "hires", "ratio"),
    ),
    ("by_venue", "按会场 By venue", (("会场", "Venue"),), ("checkins", "applications", "hires")),
    (
        "by_channel",
        "按渠道 By channel",
        (("渠道", "Channel"),),
        ("unique_viewers", "applications", "hires"),
    ),
    (
        "by_channel_city",
        "渠道×城市 Channel x city",
        (("渠道", "Channel"), ("城市", "City")),
        ("unique_viewers", "applications", "hires"),
    ),
    (
        "by_employer",
        "按雇主 By employer",
        (("雇主", "Employer"),),
        ("jobs", "openings", "ranged", "unknown", "applications", "intents", "hires"),
    ),
    (
        "by_job",
        "按职位 By job",
        (("雇主", "Employer"), ("职位", "Job"), ("城市", "City"), ("职位编号", "Job id")),
        ("openings", "applications", "applicants", "intents", "hires", "ratio"),
    ),
)
OVERVIEW_FIGURES = (
    "employers",
    "jobs",
    "openings",
    "viewers_peak",
    "unique_viewers",
    "checkins",
    "applications",
    "applicants",
    "intents",
    "hires",
    "ratio",
)
NOTES = (
    "招聘人数：区间按下限计，'以内'按上限计，人数不详（若干）按0计；"
    "求人倍率 = 招聘人数 ÷ 求职人数。"
    " Openings: a range counts its low end, 'up to' its top, unknown (若干) 0; "
    "openings per applicant = openings / applicants.",
    "求职人数为去重手机号；达成意向为当前状态为'达成意向'的投递；录用为当前状态为'录用'的投递。"
    " Applicants are distinct phones; intents and hires are applications now in that status.",
    "观看人数为独立观众（估算，误差约1%）。 Unique viewers are estimated (about 1% off).",
)
FAIRS_NOTE = (
    "跨场次合计中，同一人参加多场按多人计。 Across fairs, a person at two fairs counts twice;"
    " employers are counted once by name."
)
FAIRS_COLUMNS = (
    ("event_id", ("活动编号", "Event id")),
    ("title", ("名称", "Title")),
    ("starts", ("开始时间", "Starts")),
)
FAIRS_FIGURES = OVERVIEW_FIGURES


def _cells(figures: Figures, names: Sequence[str]) -> list[object]:
    wire = figures.to_wire()
    return [wire[name] for name in names]


def _label(label: tuple[object, ...]) -> list[object]:
    return [NOT_GIVEN if cell is None else cell for cell in label]


def _local(ms: int | None, zone: ZoneInfo) -> dt.datetime | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, zone).replace(tzinfo=None, microsecond=0)


def write_fair_book(
    report: FairReport, target: str | os.PathLike[str] | IO[bytes], *, zone: ZoneInfo
) -> dict[str, int]:
    """Write ``report`` as a workbook to ``target`` (blocking: call it in a thread); returns
    the data rows per sheet. Raises ``OSError`` when ``target`` cannot be written."""
    counts: dict[str, int] = {}
    with XlsxBook(target) as book:
        overview = book.add_sheet("概览 Overview", ["项目", "Item", "数值"], widths=(22, 26, 30))
        overview.append(["", "", "Value"])
        event = report.event
        overview.append(["活动", "Fair", event.title])
        overview.append(["活动编号", "Event id", event.id])
        overview.append(["开始时间", "Starts", _local(event.starts_at, zone)])
        overview.append(["状态", "State", report.state])
        wire = report.overview.to_wire()
        for name in OVERVIEW_FIGURES:
            zh, en = LABELS[name]
            overview.append([zh, en, wire[name]])
        overview.append(["", "", ""])
        for note in NOTES:
            overview.append(["说明", "Note", note])
        counts["overview"] = 4 + len(OVERVIEW_FIGURES) + len(NOTES)
        for section, sheet_name, label_headers, names in SHEETS:
            headers = [zh for zh, _en in label_headers] + [LABELS[n][0] for n in names]
            english = [en for _zh, en in label_headers] + [LABELS[n][1] for n in names]
            widths = [20.0] * len(label_headers) + [12.0] * len(names)
            sheet = book.add_sheet(sheet_name, headers, widths=widths)
            sheet.append(english)
            rows: list[Labelled] = getattr(report, section)
            for row in rows:
                sheet.append(_label(row.label) + _cells(row.figures, names))
            counts[section] = len(rows)
        counts["retention"] = _retention_sheet(book, report)
    return counts


def _retention_sheet(book: XlsxBook, report: FairReport) -> int:
    """The sheet ``回访 Retention`` (issue 17 part 4): the fair, then each employer, with the
    7- and 30-day counts and rates (retained / (retained + left); ``domain.followups``)."""
    parts = ("retained", "left", "unknown", "pending", "not_due", "rate")
    zh = {"retained": "在岗", "left": "离职", "unknown": "联系不上", "pending": "待回访",
          "not_due": "未到期", "rate": "留存率"}  # fmt: skip
    headers = ["单位", "录用"] + [f"{d}天{zh[p]}" for d in (7, 30) for p in parts]
    english = ["Employer", "Hires"] + [f"{d}-day {p}" for d in (7, 30) for p in parts]
    sheet = book.add_sheet("回访 Retention", headers, widths=[24.0] + [10.0] * 13)
    sheet.append(english)
    rows = [("全场 Whole fair", report.retention), *sorted(report.retention_by_employer.items())]
    for name, kept in rows:
        wire = kept.to_wire()
        sheet.append([name, kept.hires] + [wire[c][p] for c in ("7d", "30d") for p in parts])
    return len(rows)


def _fair_rows(report: FairsReport, zone: ZoneInfo) -> list[list[object]]:
    rows: list[list[object]] = []
    for fair in report.fairs:
        starts = _local(fair.event.starts_at or fair.event.created_at, zone)
        rows.append(
            [fair.event.id, fair.event.title, starts, *_cells(fair.overview, FAIRS_FIGURES)]
        )
    total = report.total
    rows.append(
        ["合计 Total", f"{len(report.fairs)} 场 fairs", None, *_cells(total, FAIRS_FIGURES)]
    )
    return rows


def write_fairs_book(report: FairsReport, target: str | os.PathLike[str] | IO[bytes]) -> int:
    """Write the report across fairs as a one-sheet workbook (blocking); returns its rows.
    Raises ``OSError`` when ``target`` cannot be written."""
    zone = report.range.zone
    with XlsxBook(target) as book:
        headers = [zh for _k, (zh, _en) in FAIRS_COLUMNS] + [LABELS[n][0] for n in FAIRS_FIGURES]
        english = [en for _k, (_zh, en) in FAIRS_COLUMNS] + [LABELS[n][1] for n in FAIRS_FIGURES]
        sheet = book.add_sheet("汇总 Fairs", headers, widths=[12, 30, 20] + [11] * 11)
        sheet.append(english)
        rows = _fair_rows(report, zone)
        for row in rows:
            sheet.append(row)
        width = len(headers)
        sheet.append([None] * width)
        days = f"{report.range.first} – {report.range.last} ({zone.key})"
        sheet.append(["范围 Range", days] + [None] * (width - 2))
        for note in (*NOTES[:2], FAIRS_NOTE):
            sheet.append(["说明 Note", note] + [None] * (width - 2))
    return len(rows)


def fairs_csv(report: FairsReport, *, lang: str = "zh-CN") -> bytes:
    """The report across fairs as CSV (UTF-8, BOM, CRLF): one header row in ``lang``
    (``zh-CN`` or ``en``), a row per fair, the total row. Raises nothing."""
    index = 1 if lang == "en" else 0
    header = [names[index] for _k, names in FAIRS_COLUMNS]
    header += [LABELS[n][index] for n in FAIRS_FIGURES]
    lines = [CSV_BOM + format_row(header)]
    for row in _fair_rows(report, report.range.zone):
        lines.append(format_row(["" if c is None else c for c in row]))
    return "".join(lines).encode()


def fairs_text(report: FairsReport) -> str:
    """The report across fairs as a terminal table, then the organisers' one-line statement
    ("N fairs, N job posts, N openings, N hired"). Raises nothing."""
    head: tuple[str, ...] = ("event", "starts", "employers", "jobs", "openings")
    head = (*head, "applications", "applicants", "hires", "title")
    fmt = "{:<12} {:<16} {:>9} {:>6} {:>8} {:>12} {:>10} {:>6}  {}"
    lines = [fmt.format(*head)]
    zone = report.range.zone
    for fair in report.fairs:
        o = fair.overview
        starts = _local(fair.event.starts_at or fair.event.created_at, zone)
        lines.append(
            fmt.format(
                fair.event.id,
                starts.strftime("%Y-%m-%d %H:%M") if starts else "",
                o.employers or 0,
                o.jobs or 0,
                o.openings or 0,
                o.applications or 0,
                o.applicants or 0,
                o.hires or 0,
                fair.event.title,
            )
        )
    t = report.total
    lines.append(
        fmt.format(
            "total",
            "",
            t.employers or 0,
            t.jobs or 0,
            t.openings or 0,
            t.applications or 0,
            t.applicants or 0,
            t.hires or 0,
            "",
        )
    )
    lines.append(
        f"\n{len(report.fairs)} fairs from {report.range.first} to {report.range.last} "
        f"({zone.key}): {t.jobs or 0} job posts, {t.openings or 0} openings, "
        f"{t.applications or 0} applications, {t.applicants or 0} applicants, "
        f"{t.hires or 0} hired"
    )
    lines.append(_retention_line(report))
    return "\n".join(lines)


def _retention_line(report: FairsReport) -> str:
    """ "retention after hire: 7 days 66.7% (2 retained, 1 left; 1 could not reach, 2 due,
    0 not yet due); 30 days -"; the rate is retained / (retained + left). Raises nothing."""
    parts = []
    for check, label in (("7d", "7 days"), ("30d", "30 days")):
        f = report.retention.to_wire()[check]
        rate = "-" if f["rate"] is None else f"{f['rate'] * 100:.1f}%"
        parts.append(
            f"{label} {rate} ({f['retained']} retained, {f['left']} left; {f['unknown']} could "
            f"not reach, {f['pending']} due, {f['not_due']} not yet due)"
        )
    return "retention after hire: " + "; ".join(parts)
