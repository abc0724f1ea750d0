"""How exported files read: words, local times, ids, in both forms and both languages.

Table-driven at the level of the rows the writers get (no store, no server): `application_row`
(the generic path, XLSX and the small tables) and `ApplicationLines` (the CSV fast path) must
write the same cells for every case. The web tests (``tests/web/test_exports.py``) take the same
rules through a real server.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest

from liveevent.config import load_settings
from liveevent.domain.applications import Application, Status
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput
from liveevent.office.export_tables import (
    APPLICATION_COLUMNS,
    HIRES_COLUMNS,
    ApplicationLines,
    application_row,
    push_columns,
)
from liveevent.office.layout import RAW, Form, Lang, Layout, load_zone
from liveevent.tables.csv_out import format_row
from liveevent.tables.outcomes_in import parse_status
from liveevent.tables.xlsx_out import DATETIME_FORMAT, XlsxBook

STATIC = Path(__file__).resolve().parents[2] / "static"
JOBS = {"007": Job("007", "江苏某某物流有限公司", "仓储主管"), "j1": Job("j1", "某某", "焊工")}


def _ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


def layout(lang: str = "zh-CN", form: str = "people", zone: str = "Asia/Shanghai") -> Layout:
    return Layout.parse({"lang": lang, "form": form}, time_zone=zone)


def application(
    applied_at: int, *, app_id: str = "12", job_id: str = "007", card: str | None = "c3"
) -> Application:
    return Application(app_id, job_id, "王五", "13800138000", applied_at, card, True, "ws")


def both_paths(lay: Layout, app: Application, status: Status) -> dict[str, str]:
    """The row as CSV through the generic and the fast path (which must agree), by header."""
    generic = format_row(application_row(app, status, JOBS.get(app.job_id), False, lay))
    fast = ApplicationLines(JOBS, False, lay).text([(app, status)])
    assert fast == generic
    text = format_row(lay.headers(APPLICATION_COLUMNS, table="applications")) + fast
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    return dict(zip(header, row, strict=True))


# (zone, the stored UTC instant, the time a person reads in that zone)
TIMES = [
    # China has no DST: +08:00 all year; the UTC evening is the next Beijing day.
    ("Asia/Shanghai", "2026-11-30T09:23:00.431+00:00", "2026-11-30 17:23:00"),
    ("Asia/Shanghai", "2026-11-30T15:59:59.999+00:00", "2026-11-30 23:59:59"),
    ("Asia/Shanghai", "2026-11-30T16:00:00.000+00:00", "2026-12-01 00:00:00"),
    ("Asia/Shanghai", "2026-12-31T16:00:00.000+00:00", "2027-01-01 00:00:00"),
    ("Asia/Shanghai", "2028-02-28T16:00:00.500+00:00", "2028-02-29 00:00:00"),
    # The UTC setting: the stored time, without milliseconds.
    ("UTC", "2026-11-30T23:59:59.999+00:00", "2026-11-30 23:59:59"),
    ("UTC", "2026-12-01T00:00:00.000+00:00", "2026-12-01 00:00:00"),
    # Half- and three-quarter-hour zones.
    ("Asia/Kolkata", "2026-11-30T18:30:00.000+00:00", "2026-12-01 00:00:00"),
    ("Asia/Kathmandu", "2026-11-30T18:14:59.000+00:00", "2026-11-30 23:59:59"),
    # DST: New York springs forward at 02:00 (no 02:xx that day), Berlin falls back at 03:00
    # (02:30 happens twice: both instants read 02:30).
    ("America/New_York", "2026-03-08T06:59:59.000+00:00", "2026-03-08 01:59:59"),
    ("America/New_York", "2026-03-08T07:00:00.000+00:00", "2026-03-08 03:00:00"),
    ("Europe/Berlin", "2026-10-25T00:30:00.000+00:00", "2026-10-25 02:30:00"),
    ("Europe/Berlin", "2026-10-25T01:30:00.000+00:00", "2026-10-25 02:30:00"),
    # Before the epoch's day in zones east of UTC.
    ("Asia/Tokyo", "1970-01-01T00:00:00.000+00:00", "1970-01-01 09:00:00"),
]


@pytest.mark.parametrize(("zone", "stored", "local"), TIMES)
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_times_are_local_whole_seconds_in_csv(
    zone: str, stored: str, local: str, lang: str
) -> None:
    row = both_paths(layout(lang, zone=zone), application(_ms(stored)), Status.APPLIED)
    header = ("报名时间 ({})" if lang == "zh-CN" else "applied at ({})").format(
        "北京时间" if (zone, lang) == ("Asia/Shanghai", "zh-CN") else zone
    )
    assert row[header] == local


@pytest.mark.parametrize(("zone", "stored", "local"), TIMES)
def test_times_are_date_time_cells_in_xlsx(zone: str, stored: str, local: str) -> None:
    lay = layout("en", zone=zone)
    buffer = io.BytesIO()
    with XlsxBook(buffer) as book:
        sheet = book.add_sheet("applications", lay.headers(APPLICATION_COLUMNS))
        job = JOBS["007"]
        sheet.append(application_row(application(_ms(stored)), Status.HIRED, job, False, lay))
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["applications"]["H2"]
    assert cell.is_date and cell.number_format == DATETIME_FORMAT == "yyyy-mm-dd hh:mm:ss"
    assert cell.value == dt.datetime.fromisoformat(local)


@pytest.mark.parametrize(("zone", "stored", "_local"), TIMES)
def test_raw_form_keeps_iso_utc_with_milliseconds(zone: str, stored: str, _local: str) -> None:
    row = both_paths(layout("zh-CN", "raw", zone), application(_ms(stored)), Status.APPLIED)
    utc = dt.datetime.fromisoformat(stored).astimezone(dt.UTC)
    assert row["applied_at"] == utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _page_words(lang: str) -> dict[str, str]:
    text = (STATIC / "i18n" / f"{lang}.js").read_text(encoding="utf-8")
    return dict(re.findall(r'"status\.(\w+)":\s*"([^"]+)"', text))


STATUS_WORDS = [
    ("zh-CN", Status.APPLIED, "已报名"),
    ("zh-CN", Status.CONTACTED, "已联系"),
    ("zh-CN", Status.INTERVIEWED, "已面试"),
    ("zh-CN", Status.OFFERED, "已发录用"),
    ("zh-CN", Status.HIRED, "已录用"),
    ("zh-CN", Status.REJECTED, "未录用"),
    ("en", Status.APPLIED, "Applied"),
    ("en", Status.CONTACTED, "Contacted"),
    ("en", Status.INTERVIEWED, "Interviewed"),
    ("en", Status.OFFERED, "Offered"),
    ("en", Status.HIRED, "Hired"),
    ("en", Status.REJECTED, "Not hired"),
]


@pytest.mark.parametrize(("lang", "status", "word"), STATUS_WORDS)
def test_status_words_are_the_pages_and_read_back(lang: str, status: Status, word: str) -> None:
    lay = layout(lang)
    row = both_paths(lay, application(_ms("2026-11-30T09:00:00+00:00")), status)
    assert row["状态" if lang == "zh-CN" else "status"] == word
    assert _page_words(lang)[status.value] == word  # the staff page says the same
    assert parse_status(word) == status.value  # an outcome sheet filled in from the export
    raw = both_paths(layout(lang, "raw"), application(0), status)
    assert raw["status"] == status.value


HEADERS = [
    # (lang, zone, the applications header row)
    (
        "zh-CN",
        "Asia/Shanghai",
        "申请编号,报名岗位编号,单位,岗位名称,姓名,手机号,状态,报名时间 (北京时间),"
        "报名时直播中的卡片编号,同意联系,报名渠道,所在城市,推广渠道,报名方式",
    ),
    (
        "zh-CN",
        "UTC",
        "申请编号,报名岗位编号,单位,岗位名称,姓名,手机号,状态,报名时间 (UTC),"
        "报名时直播中的卡片编号,同意联系,报名渠道,所在城市,推广渠道,报名方式",
    ),
    (
        "en",
        "Asia/Shanghai",
        "application ID,job applied to (ID),employer,job title,name,phone,status,"
        "applied at (Asia/Shanghai),card on screen when applying (ID),consent,channel,"
        "city,promotion channel,source",
    ),
    (
        "en",
        "Europe/Berlin",
        "application ID,job applied to (ID),employer,job title,name,phone,status,"
        "applied at (Europe/Berlin),card on screen when applying (ID),consent,channel,"
        "city,promotion channel,source",
    ),
]


@pytest.mark.parametrize(("lang", "zone", "expected"), HEADERS)
def test_headers_name_the_zone_and_tell_job_from_card(lang: str, zone: str, expected: str) -> None:
    lay = layout(lang, zone=zone)
    assert ",".join(lay.headers(APPLICATION_COLUMNS, table="applications")) == expected
    assert layout(lang, "raw", zone).headers(APPLICATION_COLUMNS) == APPLICATION_COLUMNS


@pytest.mark.parametrize(
    ("lang", "hires", "pushes"),
    [
        (
            "zh-CN",
            ("单位", "岗位编号", "岗位名称", "招聘人数", "报名数", "录用数"),
            ("卡片编号", "推送时间 (北京时间)", "岗位编号", "推送后15分钟内本岗位报名数"),
        ),
        (
            "en",
            ("employer", "job ID", "job title", "openings", "applications", "hires"),
            (
                "card ID",
                "pushed at (Asia/Shanghai)",
                "job ID",
                "applications for this job within 15 min",
            ),
        ),
    ],
)
def test_the_other_tables_headers(
    lang: str, hires: tuple[str, ...], pushes: tuple[str, ...]
) -> None:
    lay = layout(lang)
    assert lay.headers(HIRES_COLUMNS, table="hires") == hires
    shown = lay.headers(push_columns(15), table="pushes")
    assert (shown[0], shown[1], shown[2], shown[8]) == pushes
    assert len(set(shown)) == len(shown)  # no two columns read alike


IDS = [
    # (application id, job id, card id): leading zeros, long digit runs, a minus sign
    ("0012", "007", "0042"),
    ("1", "007", None),
    ("1234567890123456789", "00000000000000000001", "9"),
    ("5", "j1", "-7"),
]


@pytest.mark.parametrize(("app_id", "job_id", "card"), IDS)
@pytest.mark.parametrize(("lang", "form"), [("zh-CN", "people"), ("en", "people"), ("en", "raw")])
def test_ids_keep_their_text(
    app_id: str, job_id: str, card: str | None, lang: str, form: str
) -> None:
    lay = layout(lang, form)
    app = application(0, app_id=app_id, job_id=job_id, card=card)
    row = list(both_paths(lay, app, Status.APPLIED).values())
    # CSV: the text as stored, leading zeros kept; a card id starting with "-" is escaped like
    # any other cell (docs/exports.md says why CSV ids are not written as ="007").
    assert row[:2] == [app_id, job_id]
    assert row[8] == ("'" + card if card and card.startswith("-") else card or "")
    buffer = io.BytesIO()
    with XlsxBook(buffer) as book:
        sheet = book.add_sheet("a", lay.headers(APPLICATION_COLUMNS))
        sheet.append(application_row(app, Status.APPLIED, JOBS.get(job_id), False, lay))
    cells = next(openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["a"].iter_rows(min_row=2))
    # XLSX: text cells, so Excel shows 007 and does not round 19 digits.
    assert (cells[0].value, cells[0].data_type) == (app_id, "s")
    assert (cells[1].value, cells[1].data_type) == (job_id, "s")


@pytest.mark.parametrize(
    ("lang", "consent", "via"),
    [
        ("zh-CN", ("是", "否", ""), ("直播页", "网页/接口")),
        ("en", ("yes", "no", ""), ("live page", "web/API")),
    ],
)
def test_consent_and_channel_words(
    lang: str, consent: tuple[str, str, str], via: tuple[str, str]
) -> None:
    lay = layout(lang)
    got = []
    for value, channel in ((True, "ws"), (False, "http"), (None, "ws")):
        app = Application("1", "j1", "王五", "13800138000", 0, None, value, channel)
        got.append(list(both_paths(lay, app, Status.APPLIED).values()))
    assert tuple(row[9] for row in got) == consent
    assert (got[0][10], got[1][10]) == via
    raw = Application("1", "j1", "王五", "13800138000", 0, None, True, "ws")
    assert list(both_paths(RAW, raw, Status.APPLIED).values())[9:] == ["TRUE", "ws", "", "", "live"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lang": "fr"}, "lang"),
        ({"lang": "zh-TW"}, "lang"),
        ({"form": "excel"}, "form"),
        ({"form": "RAW2"}, "form"),
    ],
)
def test_unknown_words_are_refused_naming_the_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Layout.parse(query, time_zone="Asia/Shanghai")
    assert list(caught.value.fields) == [field]


@pytest.mark.parametrize(
    ("query", "form", "lang"),
    [
        ({}, Form.PEOPLE, Lang.ZH_CN),
        ({"lang": "en"}, Form.PEOPLE, Lang.EN),
        ({"lang": "zh"}, Form.PEOPLE, Lang.ZH_CN),
        ({"lang": "zh_cn", "form": "RAW"}, Form.RAW, Lang.ZH_CN),
        ({"form": "people", "lang": ""}, Form.PEOPLE, Lang.ZH_CN),
    ],
)
def test_defaults_and_spellings(query: dict[str, str], form: Form, lang: Lang) -> None:
    parsed = Layout.parse(query, time_zone="UTC")
    assert (parsed.form, parsed.lang, parsed.zone.key) == (form, lang, "UTC")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "Asia/Shanghai"),
        ({"LIVEEVENT_TIME_ZONE": "UTC"}, "UTC"),
        ({"LIVEEVENT_TIME_ZONE": "America/Sao_Paulo"}, "America/Sao_Paulo"),
    ],
)
def test_the_time_zone_setting(environ: dict[str, str], expected: str) -> None:
    settings = load_settings(None, environ)
    assert settings.time_zone == expected
    assert load_zone(settings.time_zone).key == expected


@pytest.mark.parametrize("bad", ["Asia/Beijing", "UTC+8", "../etc/passwd", ""])
def test_a_wrong_time_zone_setting_is_refused_by_name(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_settings(None, {"LIVEEVENT_TIME_ZONE": bad})
    assert list(caught.value.fields) == ["time_zone"]
