"""Cities, channels and figures by dimension: the pure rules (domain/attribution.py)."""

from __future__ import annotations

import pytest

from liveevent.domain.attribution import (
    Attribution,
    Channel,
    Dimension,
    build_figures,
    clean_city,
    dimensions_of,
    event_cities,
    match_city,
    openings_of,
    parse_cities,
)
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput

CITIES = ("杭州", "宁波")

# How a place is written on a real sheet -> the event city (杭州, 宁波) it is, or the cleaned
# name of a city the event does not list, or None for a blank cell.
PLACES = [
    ("宁波", "宁波"),
    ("宁波市", "宁波"),
    ("浙江省宁波市", "宁波"),
    ("浙江宁波", "宁波"),
    ("宁波市北仑区", "宁波"),
    ("浙江省宁波市鄞州区", "宁波"),
    ("宁波北仑", "宁波"),
    ("宁波（北仑）", "宁波"),
    ("宁波(北仑区)", "宁波"),
    ("宁波-北仑区", "宁波"),
    ("宁波/慈溪", "宁波"),
    (" 宁波市 ", "宁波"),
    ("Ningbo", "宁波"),
    ("NINGBO", "宁波"),
    ("ningbo city", "宁波"),
    ("Ningbo Shi", "宁波"),
    ("ｎｉｎｇｂｏ", "宁波"),  # full-width letters
    ("杭州", "杭州"),
    ("杭州市", "杭州"),
    ("浙江省杭州市", "杭州"),
    ("浙江省杭州市余杭区", "杭州"),
    ("杭州市西湖区文三路90号", "杭州"),
    ("杭州-滨江区", "杭州"),
    ("浙江杭州", "杭州"),
    ("Hangzhou", "杭州"),
    ("hang zhou", "杭州"),
    ("HangZhou City", "杭州"),
    ("深圳-南山区", "深圳"),
    ("广东省深圳市", "深圳"),
    ("上海市浦东新区", "上海"),
    ("北京市朝阳区", "北京"),
    ("新疆维吾尔自治区乌鲁木齐市", "乌鲁木齐"),
    ("大兴安岭地区", "大兴安岭"),
    ("Shanghai", "Shanghai"),
    ("北仑区", "北仑区"),
    ("", None),
    ("   ", None),
    (None, None),
]


@pytest.mark.parametrize(("place", "city"), PLACES)
def test_a_place_as_written_on_a_sheet_maps_to_the_events_city(
    place: str | None, city: str | None
) -> None:
    assert match_city(place, CITIES) == city


def test_a_city_written_in_pinyin_on_the_event_takes_chinese_places() -> None:
    assert match_city("浙江省宁波市", ("Hangzhou", "Ningbo")) == "Ningbo"
    assert match_city("杭州市余杭区", ("Hangzhou", "Ningbo")) == "Hangzhou"


def test_clean_city_without_event_cities() -> None:
    assert clean_city("浙江省宁波市北仑区") == "宁波"
    assert clean_city("Ningbo City") == "Ningbo"
    assert match_city("浙江省宁波市", ()) == "宁波"


def test_parse_cities() -> None:
    assert parse_cities({"cities": [" 杭州 ", "宁波"]}) == ("杭州", "宁波")
    assert parse_cities({}) == ()
    for bad in (
        "杭州",
        ["杭州", "杭州"],
        ["杭州", "Hangzhou"],  # the same city twice, by its pinyin
        [""],
        ["a|b"],
        [1],
        ["x" * 21],
        [f"c{i}" for i in range(21)],
    ):
        with pytest.raises(InvalidInput) as caught:
            parse_cities({"cities": bad})
        assert "cities" in caught.value.fields


def test_an_event_takes_cities_at_creation() -> None:
    event = LiveEvent.parse({"title": "两城联播", "cities": ["杭州", "宁波"]}, event_id="e", now=1)
    assert event.cities == ("杭州", "宁波")
    assert LiveEvent.from_record(event.to_record()) == event
    assert event.to_wire(EventState.LIVE)["cities"] == ["杭州", "宁波"]
    old = event.to_record()
    del old["cities"]
    assert LiveEvent.from_record(old).cities == ()


def test_event_cities_are_declared_or_the_jobs() -> None:
    jobs = [Job("a", "e", "t", city="宁波"), Job("b", "e", "t"), Job("c", "e", "t", city="杭州")]
    assert event_cities(("杭州",), jobs) == ("杭州",)
    assert event_cities((), jobs) == ("宁波", "杭州")


def test_dimensions_of_an_application() -> None:
    assert dimensions_of(city=None, channel=None, venue=None, source=None) == [
        (Dimension.SOURCE, "live")
    ]
    assert dimensions_of(city="宁波", channel="wx", venue="v1", source="station") == [
        (Dimension.SOURCE, "station"),
        (Dimension.CITY, "宁波"),
        (Dimension.CHANNEL, "wx"),
        (Dimension.CHANNEL_CITY, "wx|宁波"),
        (Dimension.VENUE, "v1"),
    ]


def test_channel_parse() -> None:
    channel = Channel.parse({"name": " 视频号 "}, channel_id="c1", now=5)
    assert (channel.name, Channel.from_record(channel.to_record())) == ("视频号", channel)
    bads: list[object] = [{}, {"name": ""}, {"name": "x" * 31}, {"name": "a", "other": 1}, []]
    for bad in bads:
        with pytest.raises(InvalidInput):
            Channel.parse(bad, channel_id="c1", now=5)


def test_openings_of_ranges_and_unknown() -> None:
    assert openings_of(Job("a", "e", "t", 8)) == 8
    assert openings_of(Job("a", "e", "t", 10, openings_max=20)) == 10
    assert openings_of(Job("a", "e", "t", None, openings_max=10)) == 10
    assert openings_of(Job("a", "e", "t", None, openings_max=None)) == 0


def test_build_figures_rows() -> None:
    channels = [Channel("wx", "视频号", 1), Channel("dy", "抖音", 2)]
    jobs = [
        Job("a", "e", "t", 10, city="宁波"),
        Job("b", "e", "t", 5, openings_max=9, city="杭州"),
        Job("c", "e", "t", 2),
    ]
    figures = build_figures(
        cities=CITIES,
        channels=channels,
        jobs=jobs,
        applications=10,
        by_value={
            (Dimension.CITY, "宁波"): 6,
            (Dimension.CITY, "杭州"): 3,
            (Dimension.CHANNEL, "wx"): 4,
            (Dimension.CHANNEL_CITY, "wx|宁波"): 4,
            (Dimension.SOURCE, "live"): 9,
            (Dimension.SOURCE, "station"): 1,
            (Dimension.VENUE, "hall-1"): 1,
        },
        city_applicants={"宁波": 5, "杭州": 3},
        hired=[Attribution("宁波", "wx"), Attribution(None, None, "hall-1", "station")],
        viewers={(Dimension.CITY, "宁波"): 7, (Dimension.CHANNEL, "wx"): 5},
        unique_viewers=20,
    )
    wire = figures.to_wire()
    assert wire["unique_viewers"] == 20
    assert wire["by_city"] == [
        {"city": "杭州", "viewers": 0, "applications": 3, "applicants": 3, "hires": 0,
         "jobs": 1, "openings": 5},
        {"city": "宁波", "viewers": 7, "applications": 6, "applicants": 5, "hires": 1,
         "jobs": 1, "openings": 10},
        {"city": None, "viewers": None, "applications": 1, "hires": 1, "jobs": 1, "openings": 2},
    ]  # fmt: skip
    assert wire["by_channel"] == [
        {"channel": "wx", "name": "视频号", "viewers": 5, "applications": 4, "hires": 1},
        {"channel": "dy", "name": "抖音", "viewers": 0, "applications": 0, "hires": 0},
        {"channel": None, "name": None, "viewers": None, "applications": 6, "hires": 1},
    ]
    assert wire["by_channel_city"] == [
        {"channel": "wx", "name": "视频号", "city": "宁波", "viewers": 0,
         "applications": 4, "hires": 1},
    ]  # fmt: skip
    assert wire["by_venue"] == [
        {"venue": "hall-1", "applications": 1, "hires": 1},
        {"venue": None, "applications": 9, "hires": 1},
    ]
    assert [r["source"] for r in wire["by_source"]] == ["live", "replay", "station"]
    assert [r["applications"] for r in wire["by_source"]] == [9, 0, 1]
