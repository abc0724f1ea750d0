"""Where viewers, applications and hires come from (issue 16): cities and channels, and the
figures of an event by each dimension (city, channel, venue, source, channel x city).

Theory of operation. An event has **cities** (or regions): the list staff give when they
create the event or later (``parse_cities``); an event without such a list has the cities of
its jobs. A job's city comes from a sheet's place column, written any way people write it
(``浙江省宁波市``, ``宁波市北仑区``, ``Ningbo``): ``match_city`` maps it onto one of the event's
cities, or, when it matches none, onto a cleaned city name of its own (``clean_city``). A viewer
declares one of the event's cities; a viewer who came through a **channel**'s link (staff create
channels: 视频号, 抖音, an official-account post) carries its id. Both ride on every application
and on the viewer's hello. ``dimensions_of`` says which counters one application moves; the
store keeps them and ``build_figures`` turns the counts into the rows that stats, exports and
the fair report all show, so they cannot disagree.

Pure: no I/O, no clock (callers pass ``now``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pypinyin import lazy_pinyin

from liveevent.domain import values
from liveevent.domain.applications import Source
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput

MAX_CITIES = 20
CITY_MAX_LEN = 20  # as ``ApplyRequest.city`` and ``Job.city``
MAX_CHANNELS = 100
CHANNEL_NAME_MAX_LEN = 30
CHANNEL_CITY_SEPARATOR = "|"  # channel ids never hold it (``values.identifier``)


class Dimension(enum.StrEnum):
    """A way of splitting an event's figures; the value is the wire and store text."""

    CITY = "city"
    CHANNEL = "channel"
    VENUE = "venue"
    SOURCE = "source"
    CHANNEL_CITY = "channel_city"


# Dimensions in which a viewer is counted (a viewer has no venue or source).
VIEWER_DIMENSIONS = (Dimension.CITY, Dimension.CHANNEL, Dimension.CHANNEL_CITY)


def channel_city(channel: str, city: str) -> str:
    """The value of one channel x city pair: ``"<channel>|<city>"``. Raises nothing."""
    return f"{channel}{CHANNEL_CITY_SEPARATOR}{city}"


def dimensions_of(
    *, city: str | None, channel: str | None, venue: str | None, source: str | None
) -> list[tuple[Dimension, str]]:
    """The (dimension, value) pairs one application is counted in: each attribution that is
    set, its source (``live`` when not given), and the channel x city pair when both are set.
    Raises nothing."""
    pairs: list[tuple[Dimension, str]] = [(Dimension.SOURCE, source or str(Source.LIVE))]
    if city is not None:
        pairs.append((Dimension.CITY, city))
    if channel is not None:
        pairs.append((Dimension.CHANNEL, channel))
        if city is not None:
            pairs.append((Dimension.CHANNEL_CITY, channel_city(channel, city)))
    if venue is not None:
        pairs.append((Dimension.VENUE, venue))
    return pairs


def viewer_dimensions(city: str | None, channel: str | None) -> list[tuple[Dimension, str]]:
    """The (dimension, value) pairs a viewer who declared ``city`` and came through
    ``channel`` is counted in (unique viewers). Raises nothing."""
    return [
        (d, v)
        for d, v in dimensions_of(city=city, channel=channel, venue=None, source=None)
        if d in VIEWER_DIMENSIONS
    ]


# --- cities ---------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[-—–/·,，、;；()（）\s]+")
_PROVINCE = re.compile(r"^.{2,8}?(省|自治区|特别行政区)")
_CITY_SUFFIX = ("市", "地区", "盟")
_ENGLISH_SUFFIXES = ("city", "shi", "prefecture")


def _fold(raw: str) -> str:
    """NFKC (full-width letters and brackets folded), no spaces at the ends."""
    return unicodedata.normalize("NFKC", raw).strip()


def clean_city(raw: str | None) -> str | None:
    """A city name from a place as people write it on a sheet, or None for a blank one.

    ``浙江省宁波市`` -> ``宁波``; ``宁波市北仑区`` -> ``宁波``; ``上海市浦东新区`` -> ``上海``;
    ``深圳-南山区`` -> ``深圳``; ``Ningbo City`` / ``NINGBO`` -> ``Ningbo``; a name it cannot
    reduce comes back trimmed (``北仑区``). Cut to ``CITY_MAX_LEN`` characters. Raises nothing.
    """
    if raw is None:
        return None
    text = _fold(raw)
    if not text:
        return None
    if text.isascii():
        words = [w for w in re.split(r"[\s,\-/]+", text.lower()) if w]
        while len(words) > 1 and words[-1] in _ENGLISH_SUFFIXES:
            words.pop()
        if not words:
            return None
        return "".join(words).capitalize()[:CITY_MAX_LEN]
    # The place's first part: "深圳-南山区" is Shenzhen, "宁波（北仑）" is Ningbo.
    first = next((part for part in _SEPARATORS.split(text) if part), "")
    name = _PROVINCE.sub("", first) or first
    for suffix in _CITY_SUFFIX:
        at = name.find(suffix)
        if at > 0:
            name = name[:at]
            break
    return name[:CITY_MAX_LEN] or None


def city_key(name: str) -> str:
    """What two writings of one city share: the pinyin of its Chinese characters, lowercase
    letters only (``宁波`` and ``Ningbo`` both give ``ningbo``). Raises nothing."""
    base = name
    for suffix in _CITY_SUFFIX:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
    letters = "".join(lazy_pinyin(_fold(base))).lower()
    return "".join(ch for ch in letters if ch.isalnum())


def match_city(raw: str | None, cities: Sequence[str]) -> str | None:
    """The event city ``raw`` names, else its own cleaned name (``clean_city``), else None.

    A place matches a city when its cleaned name is the city (by ``city_key``: characters or
    pinyin), or when the place's text holds the city's name (``宁波北仑`` is 宁波); the first
    of ``cities`` to match wins, the cleaned-name test before the text test. Raises nothing.
    """
    cleaned = clean_city(raw)
    if cleaned is None or raw is None:
        return None
    wanted = city_key(cleaned)
    for city in cities:
        if city_key(city) == wanted:
            return city
    text = _fold(raw)
    for city in cities:
        base = city.removesuffix("市") if len(city) > 2 else city
        if not base.isascii() and base in text:
            return city
    return cleaned


def place_jobs(jobs: Sequence[Job], cities: Sequence[str]) -> list[Job]:
    """The jobs with their cities put in the event's terms: a job's own ``city`` by
    ``match_city``; a job without one takes the event city its ``location`` names (a sheet's
    工作地点 ``浙江省宁波市北仑区`` is 宁波), and none when it names none of them or the event
    lists no cities (a free-text address is not made a city). Raises nothing."""
    placed = []
    for job in jobs:
        if job.city:
            city = match_city(job.city, cities)
        elif cities and job.location:
            found = match_city(job.location, cities)
            city = found if found in cities else None
        else:
            city = None
        placed.append(job if city == job.city else replace(job, city=city))
    return placed


def parse_cities(data: dict[str, Any], field_name: str = "cities") -> tuple[str, ...]:
    """The ``cities`` of a body: a list of 0-``MAX_CITIES`` names of 1-``CITY_MAX_LEN``
    characters, none holding ``|``, none written twice (by ``city_key``); absent is none.

    Names are kept as written (trimmed, NFC). Raises ``InvalidInput`` naming ``cities``.
    """
    raw = data.get(field_name)
    if raw is None:
        return ()
    why = f"must be a list of at most {MAX_CITIES} names of 1-{CITY_MAX_LEN} characters"
    if not isinstance(raw, list) or len(raw) > MAX_CITIES:
        raise InvalidInput(f"{field_name} {why}", fields={field_name: why})
    cities: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        try:
            name = values.text({"city": item}, "city", max_len=CITY_MAX_LEN)
        except InvalidInput:
            raise InvalidInput(f"{field_name} {why}", fields={field_name: why}) from None
        if CHANNEL_CITY_SEPARATOR in name:
            bad = "must not hold '|'"
            raise InvalidInput(f"{field_name}[{index}] {bad}", fields={field_name: bad})
        key = city_key(name) or name
        if key in seen:
            twice = f"names {name!r} twice"
            raise InvalidInput(f"{field_name} {twice}", fields={field_name: twice})
        seen.add(key)
        cities.append(name)
    return tuple(cities)


def event_cities(declared: Sequence[str], jobs: Iterable[Job]) -> tuple[str, ...]:
    """An event's cities: those declared, or, when none are, its jobs' cities in the order
    the jobs were added. Raises nothing."""
    if declared:
        return tuple(declared)
    found: dict[str, None] = {}
    for job in jobs:
        if job.city:
            found.setdefault(job.city, None)
    return tuple(found)


# --- channels -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Channel:
    """A way viewers arrive (视频号, 抖音, an official-account post, a community station),
    with its own link ``/e/<event>?ch=<id>``. ``created_at`` is Unix ms.

    Build one with ``parse``; the constructor checks nothing and raises nothing.
    """

    id: str
    name: str
    created_at: int

    @classmethod
    def parse(cls, data: object, *, channel_id: str, now: int) -> Channel:
        """A new channel from a body ``{"name"}`` (1-``CHANNEL_NAME_MAX_LEN`` characters).

        Raises ``InvalidInput`` naming ``name`` (or ``body``, or each unknown field).
        """
        body = values.only_fields(data, frozenset({"name"}), what="body")
        name = values.text(body, "name", max_len=CHANNEL_NAME_MAX_LEN)
        return cls(id=channel_id, name=name, created_at=now)

    def to_record(self) -> dict[str, Any]:
        """The stored form. Raises nothing."""
        return {"id": self.id, "name": self.name, "created_at": self.created_at}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Channel:
        """The inverse of ``to_record``. Raises ``KeyError`` for a record missing a field."""
        return cls(id=record["id"], name=record["name"], created_at=record["created_at"])


# --- figures --------------------------------------------------------------------------------


def openings_of(job: Job) -> int:
    """The openings a job counts for in totals: its stated count, the low end of a range
    (``10-20人`` is 10, ``20人以上`` 20), the top of an "up to" (``10人以内`` is 10), 0 when
    unknown (``若干``). Raises nothing."""
    if job.openings is not None:
        return job.openings
    return job.openings_max or 0


@dataclass(frozen=True, slots=True)
class Attribution:
    """The attribution of one application (a hired one, when hires are counted): the
    ``Application`` fields of the same names. Raises nothing."""

    city: str | None = None
    channel: str | None = None
    venue: str | None = None
    source: str | None = None


@dataclass(slots=True)
class Row:
    """The figures of one value of a dimension (``value`` None: not given).

    ``viewers`` unique viewers (None where not counted: venue, source, and the not-given row,
    as a viewer may declare a city late); ``applicants`` distinct phones (cities only);
    ``jobs``/``openings`` for cities only. Raises nothing.
    """

    value: str | None
    applications: int = 0
    hires: int = 0
    viewers: int | None = None
    applicants: int | None = None
    jobs: int | None = None
    openings: int | None = None


@dataclass(slots=True)
class EventFigures:
    """An event's figures by every dimension: ``rows[dimension]`` in display order (declared
    cities and channels first, in their order, then any other value seen, then the
    not-given row). ``channel_names`` maps channel ids to names. Raises nothing."""

    unique_viewers: int
    applications: int
    hires: int
    rows: dict[Dimension, list[Row]] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)

    def row(self, dimension: Dimension, value: str | None) -> Row | None:
        """The row of ``value`` (None: not given), or None if there is none. Raises nothing."""
        return next((r for r in self.rows[dimension] if r.value == value), None)

    def to_wire(self) -> dict[str, Any]:
        """``{"unique_viewers", "by_city", "by_channel", "by_channel_city", "by_venue",
        "by_source"}``: lists of objects named by the dimension (``{"city": "宁波", ...}``;
        channels also carry ``name``, channel x city rows ``channel``, ``name`` and ``city``).
        A field that is None for a dimension is left out. Raises nothing."""
        wire: dict[str, Any] = {"unique_viewers": self.unique_viewers}
        for dimension, rows in self.rows.items():
            wire[f"by_{dimension}"] = [self._row_wire(dimension, row) for row in rows]
        return wire

    def _row_wire(self, dimension: Dimension, row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if dimension is Dimension.CHANNEL_CITY:
            channel, _, city = (row.value or "").partition(CHANNEL_CITY_SEPARATOR)
            out["channel"], out["name"], out["city"] = (
                channel,
                self.channel_names.get(channel, channel),
                city,
            )
        else:
            out[str(dimension)] = row.value
            if dimension is Dimension.CHANNEL:
                out["name"] = self.channel_names.get(row.value, row.value) if row.value else None
        for name in ("viewers", "applications", "applicants", "hires", "jobs", "openings"):
            value = getattr(row, name)
            if value is not None or (name == "viewers" and dimension in VIEWER_DIMENSIONS):
                out[name] = value
        return out


def build_figures(
    *,
    cities: Sequence[str],
    channels: Sequence[Channel],
    jobs: Sequence[Job],
    applications: int,
    by_value: dict[tuple[Dimension, str], int],
    city_applicants: dict[str, int],
    hired: Sequence[Attribution],
    viewers: dict[tuple[Dimension, str], int],
    unique_viewers: int,
) -> EventFigures:
    """The rows of every dimension from the store's counts.

    ``by_value`` applications per (dimension, value) (``dimensions_of``); ``city_applicants``
    distinct phones per city; ``hired`` the attribution of every hired application;
    ``viewers`` unique viewers per (dimension, value) of ``VIEWER_DIMENSIONS``. Each
    dimension but source and channel x city gets a not-given row (applications without that
    attribution: ``applications`` minus the rest) when it is not empty. Raises nothing.
    """
    hires: dict[tuple[Dimension, str], int] = {}
    for h in hired:
        for pair in dimensions_of(city=h.city, channel=h.channel, venue=h.venue, source=h.source):
            hires[pair] = hires.get(pair, 0) + 1
    figures = EventFigures(
        unique_viewers=unique_viewers,
        applications=applications,
        hires=len(hired),
        channel_names={c.id: c.name for c in channels},
    )
    known: dict[Dimension, list[str]] = {
        Dimension.CITY: list(cities),
        Dimension.CHANNEL: [c.id for c in channels],
        Dimension.VENUE: [],
        Dimension.SOURCE: [str(s) for s in Source],
        Dimension.CHANNEL_CITY: [],
    }
    seen_values = list(by_value) + list(hires) + list(viewers)
    jobs_by_city: dict[str, list[Job]] = {}
    for job in jobs:
        if job.city:
            jobs_by_city.setdefault(job.city, []).append(job)
            seen_values.append((Dimension.CITY, job.city))
    for dimension, order in known.items():
        others = sorted({v for d, v in seen_values if d is dimension and v not in order})
        rows = []
        for value in [*order, *others]:
            key = (dimension, value)
            row = Row(value, by_value.get(key, 0), hires.get(key, 0))
            if dimension in VIEWER_DIMENSIONS:
                row.viewers = viewers.get(key, 0)
            if dimension is Dimension.CITY:
                row.applicants = city_applicants.get(value, 0)
                city_jobs = jobs_by_city.get(value, [])
                row.jobs, row.openings = len(city_jobs), sum(openings_of(j) for j in city_jobs)
            rows.append(row)
        if dimension not in (Dimension.SOURCE, Dimension.CHANNEL_CITY):
            rest = Row(
                None,
                applications - sum(r.applications for r in rows),
                figures.hires - sum(r.hires for r in rows),
            )
            if dimension is Dimension.CITY:
                no_city = [j for j in jobs if not j.city]
                rest.jobs, rest.openings = len(no_city), sum(openings_of(j) for j in no_city)
            if rest.applications or rest.hires or rest.jobs:
                rows.append(rest)
        figures.rows[dimension] = rows
    return figures
