"""How an export reads: for people (Chinese or English, local times, words) or raw (for scripts).

The one home of the export's column headers and status words, in both languages. Two forms:

- ``people`` (the default): headers and status words in ``zh-CN`` (default) or ``en``; times in
  the event's time zone (the ``time_zone`` setting, IANA name, ``Asia/Shanghai`` by default) as
  ``YYYY-MM-DD HH:MM:SS`` in CSV and as date-time cells in XLSX, the zone named in the header
  (``报名时间 (北京时间)``, ``applied at (Asia/Shanghai)``); consent as 是/否, yes/no.
- ``raw``: for scripts, exactly what exports wrote before: column codes (``application_id``,
  ``status``...), status codes (``hired``), times as ISO 8601 UTC text with milliseconds
  (``2026-11-30T09:23:00.431Z``), consent as TRUE/FALSE. ``lang`` changes nothing in it.

The status words are the staff page's (``static/i18n/{zh-CN,en}.js``, ``status.*``) so the page
and the files say the same; ``tests/office/test_layout.py`` holds them together. They are also
words the outcome importer reads back (`liveevent.tables.outcomes_in`), as are the headers
``申请编号`` and ``状态``: an employer can fill in the status column and send the file back.

Pure: no I/O but reading the zone database (``zoneinfo``, the ``tzdata`` package where the
system has none).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liveevent.domain import values
from liveevent.domain.applications import Status
from liveevent.domain.jobs import headcount_text
from liveevent.errors import InvalidInput

__all__ = [
    "DEFAULT_TIME_ZONE",
    "RAW",
    "Form",
    "Lang",
    "Layout",
    "load_zone",
]

DEFAULT_TIME_ZONE = "Asia/Shanghai"


class Form(enum.StrEnum):
    PEOPLE = "people"
    RAW = "raw"


class Lang(enum.StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


# column code -> (zh-CN header, English header, XLSX width in characters). ``{zone}`` is the
# zone's name; ``{n}`` the window of ``applications_within_{n}_min``. Widths are fixed per
# column because a streamed sheet cannot be measured before its header is written; they fit
# the longest usual value (a 19-character time, an 11-digit phone, a company name).
_COLUMNS: dict[str, tuple[str, str, float]] = {
    "application_id": ("申请编号", "application ID", 10),
    "job_id": ("岗位编号", "job ID", 12),
    "employer": ("单位", "employer", 30),
    "title": ("岗位名称", "job title", 24),
    "name": ("姓名", "name", 10),
    "phone": ("手机号", "phone", 15),
    "status": ("状态", "status", 10),
    "applied_at": ("报名时间 ({zone})", "applied at ({zone})", 20),
    "card_id": ("卡片编号", "card ID", 10),
    "consent": ("同意联系", "consent", 9),
    "via": ("报名渠道", "channel", 12),
    "openings": ("招聘人数", "openings", 10),
    "openings_max": ("招聘人数上限", "openings (most)", 9),
    "applications": ("报名数", "applications", 10),
    "hires": ("录用数", "hires", 8),
    "pushed_at": ("推送时间 ({zone})", "pushed at ({zone})", 20),
    "on_screen_s": ("展示时长（秒）", "on screen (s)", 11),
    "applications_for_job": (
        "展示期间本岗位报名数",
        "applications for this job while on screen",
        12,
    ),
    "applications_within": (
        "推送后{n}分钟内本岗位报名数",
        "applications for this job within {n} min",
        12,
    ),
    "hires_for_job": ("展示期间本岗位报名的录用数", "hires for this job (while on screen)", 12),
    "pushed_by": ("推送人", "pushed by", 14),
    "withdrawn_by": ("撤下人", "withdrawn by", 14),
    # Issue 16: where applications came from (office/export_tables.py, "attribution")
    "city": ("所在城市", "city", 10),
    "channel": ("推广渠道", "promotion channel", 14),
    # Review r3: live, replay or station (the transport, ``via``, cannot tell them apart).
    "source": ("报名方式", "source", 10),
    "dimension": ("统计维度", "by", 12),
    "value": ("取值", "value", 16),
    "viewers": ("观看人数（去重）", "unique viewers", 10),
    "applicants": ("报名人数（去重）", "applicants", 10),
    "jobs": ("岗位数", "jobs", 8),
}
# Codes that mean something narrower in one table. An application made from the list of
# earlier jobs is for one job while another job's card is on screen: the two columns say which
# is which, so that a different job and card in one row does not read like an error.
_TABLE_COLUMNS: dict[str, dict[str, tuple[str, str, float]]] = {
    "applications": {
        "job_id": ("报名岗位编号", "job applied to (ID)", 14),
        "card_id": ("报名时直播中的卡片编号", "card on screen when applying (ID)", 16),
    },
    "attribution": {"name": ("渠道名称", "channel name", 14)},
    "pushes": {
        "applications": (
            "展示期间报名数（所有岗位）",
            "applications while on screen (any job)",
            12,
        ),
        "hires": ("展示期间报名的录用数", "hires (of applications while on screen)", 12),
    },
    # Questions on the card (office/question_table.py).
    "questions": {
        "question_id": ("提问编号", "question ID", 10),
        "name": ("提问人", "asked by", 10),
        "question": ("问题", "question", 40),
        "question_status": ("状态", "status", 8),
        "asked_at": ("提问时间 ({zone})", "asked at ({zone})", 20),
        "answer": ("回答", "answer", 40),
        "answered_by": ("回答人", "answered by", 14),
        "answered_at": ("回答时间 ({zone})", "answered at ({zone})", 20),
    },
}
_WITHIN = re.compile(r"applications_within_(\d+)_min")

_STATUS_WORDS: dict[Lang, dict[Status, str]] = {
    Lang.ZH_CN: {
        Status.APPLIED: "已报名",
        Status.INTENT: "达成意向",
        Status.CONTACTED: "已联系",
        Status.INTERVIEWED: "已面试",
        Status.OFFERED: "已发录用",
        Status.HIRED: "已录用",
        Status.REJECTED: "未录用",
        Status.DECLINED: "本人放弃",
        Status.NO_SHOW: "未到场",
    },
    Lang.EN: {
        Status.APPLIED: "Applied",
        Status.INTENT: "Intent agreed",
        Status.CONTACTED: "Contacted",
        Status.INTERVIEWED: "Interviewed",
        Status.OFFERED: "Offered",
        Status.HIRED: "Hired",
        Status.REJECTED: "Not hired",
        Status.DECLINED: "Declined by applicant",
        Status.NO_SHOW: "No-show",
    },
}
_CONSENT_WORDS: dict[Lang, dict[bool | None, str]] = {
    Lang.ZH_CN: {True: "是", False: "否", None: ""},
    Lang.EN: {True: "yes", False: "no", None: ""},
}
_VIA_WORDS: dict[Lang, dict[str, str]] = {
    Lang.ZH_CN: {"http": "网页/接口", "ws": "直播页", "station": "现场报名台"},
    Lang.EN: {"http": "web/API", "ws": "live page", "station": "station page"},
}
# Where an application was made (``Source``; none stored means live).
_SOURCE_WORDS: dict[Lang, dict[str, str]] = {
    Lang.ZH_CN: {"live": "直播", "replay": "回放", "station": "现场报名台"},
    Lang.EN: {"live": "live", "replay": "replay", "station": "station"},
}
_SHEET_NAMES: dict[Lang, dict[str, str]] = {
    Lang.ZH_CN: {
        "applications": "报名表",
        "hires": "录用统计",
        "pushes": "卡片推送",
        "attribution": "城市与渠道",
        "questions": "观众提问",
    },
    Lang.EN: {
        "applications": "applications",
        "hires": "hires",
        "pushes": "pushes",
        "attribution": "by city and channel",
        "questions": "questions",
    },
}
# Issue 16: the dimensions of the attribution table, and a value not given.
_DIMENSION_WORDS: dict[Lang, dict[str, str]] = {
    Lang.ZH_CN: {
        "city": "城市",
        "channel": "渠道",
        "channel_city": "渠道×城市",
        "venue": "会场",
        "source": "报名方式",
        "": "（未填）",
    },
    Lang.EN: {
        "city": "city",
        "channel": "channel",
        "channel_city": "channel x city",
        "venue": "venue",
        "source": "source",
        "": "(not given)",
    },
}
# How a zone is named in a zh-CN header where people have a word for it.
_ZONE_WORDS_ZH = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "PRC": "北京时间"}


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``, ``UTC``...). Raises ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # NotFound is a KeyError
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


_ALIASES = {"zh": "zh-cn", "cn": "zh-cn", "zh-hans": "zh-cn"}
_Choice = TypeVar("_Choice", Form, Lang)


def _choice(query: Mapping[str, str], name: str, kind: type[_Choice], default: _Choice) -> _Choice:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    wanted = _ALIASES.get(raw.casefold().replace("_", "-"), raw.casefold().replace("_", "-"))
    for member in kind:
        if wanted == member.value.casefold():
            return member
    why = "must be one of " + ", ".join(member.value for member in kind)
    raise InvalidInput(f"{name} {why}", fields={name: why})


@dataclass(frozen=True, slots=True)
class Layout:
    """The form, language and time zone of one export; turns stored values into cells.

    Build with `Layout.parse` from a query (``?lang=en&form=raw``) or the CLI's options.
    """

    form: Form = Form.PEOPLE
    lang: Lang = Lang.ZH_CN
    zone: ZoneInfo = field(default_factory=lambda: load_zone(DEFAULT_TIME_ZONE))
    # Exports hold a million timestamps that fall in a few thousand seconds.
    _local: dict[int, dt.datetime] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, query: Mapping[str, str], *, time_zone: str) -> Layout:
        """``lang`` (``zh-CN`` default, ``en``) and ``form`` (``people`` default, ``raw``) from
        ``query``; ``time_zone`` is the setting. Raises ``InvalidInput`` naming the field."""
        return cls(
            form=_choice(query, "form", Form, Form.PEOPLE),
            lang=_choice(query, "lang", Lang, Lang.ZH_CN),
            zone=load_zone(time_zone),
        )

    @property
    def raw(self) -> bool:
        return self.form is Form.RAW

    @property
    def zone_name(self) -> str:
        """The zone as a header names it: ``北京时间`` in zh-CN for China's zone, else its key."""
        key = self.zone.key
        if self.lang is Lang.ZH_CN:
            return _ZONE_WORDS_ZH.get(key, key)
        return key

    def sheet_name(self, table: str) -> str:
        return table if self.raw else _SHEET_NAMES[self.lang][table]

    def headers(self, columns: Sequence[str], *, table: str = "") -> tuple[str, ...]:
        """The header row for the column codes ``columns`` of ``table``."""
        if self.raw:
            return tuple(columns)
        return tuple(self._column(code, table)[0] for code in columns)

    def widths(self, columns: Sequence[str], *, table: str = "") -> tuple[float, ...]:
        """XLSX column widths in characters: the column's usual values, or its header."""
        out = []
        for code in columns:
            header, width = self._column(code, table)
            shown = code if self.raw else header
            out.append(min(50.0, max(width, _display_width(shown) + 2.0)))
        return tuple(out)

    def _column(self, code: str, table: str) -> tuple[str, float]:
        within = _WITHIN.fullmatch(code)
        key = "applications_within" if within else code
        spec = _TABLE_COLUMNS.get(table, {}).get(key) or _COLUMNS.get(key)
        if spec is None:  # a column added without words: show its code rather than fail
            return code, 12.0
        zh, en, width = spec
        text = zh if self.lang is Lang.ZH_CN else en
        return text.format(zone=self.zone_name, n=within.group(1) if within else ""), width

    def status_words(self) -> dict[Status, str]:
        """Each status as the file writes it (a fresh dict: callers keep it for a fast path)."""
        if self.raw:
            return {status: status.value for status in Status}
        return dict(_STATUS_WORDS[self.lang])

    def status(self, status: Status) -> str:
        return status.value if self.raw else _STATUS_WORDS[self.lang][status]

    def consent(self, consent: bool | None) -> object:
        return consent if self.raw else _CONSENT_WORDS[self.lang][consent]

    def consent_words(self) -> dict[bool | None, str]:
        if self.raw:
            return {True: "TRUE", False: "FALSE", None: ""}
        return dict(_CONSENT_WORDS[self.lang])

    def headcount(self, openings: int | None, openings_max: int | None) -> object:
        """A job's headcount cell: the low end as a number (raw; ``openings_max`` is its own
        column there), or the range in words as people write it (``10-20人``, ``20+``)."""
        if self.raw:
            return openings
        return headcount_text(openings, openings_max, lang=self.lang.value, short=True)

    def via(self, via: str) -> str:
        return via if self.raw else _VIA_WORDS[self.lang].get(via, via)

    def source(self, source: str | None) -> str:
        """Where an application was made (a ``Source`` value; ``None`` is live) as a cell: the
        value (raw), or its word (``直播``, ``回放``, ``现场报名台``). Raises nothing."""
        value = source or "live"
        return value if self.raw else _SOURCE_WORDS[self.lang].get(value, value)

    def dimension(self, dimension: str) -> str:
        """A dimension of the attribution table (``city``...) as a cell. Raises nothing."""
        return dimension if self.raw else _DIMENSION_WORDS[self.lang].get(dimension, dimension)

    def not_given(self) -> str:
        """The cell of an attribution value not given: empty (raw), ``（未填）``."""
        return "" if self.raw else _DIMENSION_WORDS[self.lang][""]

    def time(self, ms: int) -> object:
        """A stored time (epoch milliseconds) as a cell: ISO UTC text (raw), or a naive
        date-time in the event's zone, whole seconds (people: `format_row` writes it as
        ``YYYY-MM-DD HH:MM:SS``, XLSX as a date-time cell)."""
        if self.raw:
            return values.iso(ms)
        return self.local_second(ms // 1000)

    def local_second(self, second: int) -> dt.datetime:
        """Epoch second ``second`` as a naive date-time in the zone (cached)."""
        local = self._local.get(second)
        if local is None:
            if len(self._local) > 100_000:  # a bound on memory for a pathological spread
                self._local.clear()
            moment = dt.datetime.fromtimestamp(second, self.zone)
            self._local[second] = local = moment.replace(tzinfo=None)
        return local


RAW = Layout(form=Form.RAW)


def _display_width(text: str) -> int:
    # East Asian wide characters take two columns in Excel's width unit.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
