"""The applications table's CSV fast path writes exactly what the generic path writes."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from liveevent.domain.applications import Application, Source, Status
from liveevent.domain.jobs import Job
from liveevent.office.export_tables import APPLICATION_COLUMNS, ApplicationLines, application_row
from liveevent.office.layout import RAW, Lang, Layout
from liveevent.tables.csv_out import format_row

JOBS = {
    "j1": Job("j1", "江苏某某物流有限公司", "仓储主管"),
    "j2": Job("j2", '=HYPERLINK("x")', 'say "hi", then\nleave'),
    "-3": Job("-3", "+86 corp", "@title"),
}
# Anything a person could type, and the characters CSV and spreadsheets treat specially.
text = st.text(alphabet=st.sampled_from('ab张三,"\n\r\t=+-@ 1'), max_size=8) | st.text(max_size=8)

applications = st.builds(
    Application,
    application_id=st.integers(min_value=1, max_value=10**9).map(str),
    job_id=st.sampled_from([*JOBS, "gone", "=1"]),
    name=text,
    phone=st.sampled_from(["", "13800138000", "+8613800138000", "+44 20 7946 0958"]),
    applied_at=st.integers(min_value=0, max_value=4_102_444_800_000),
    card_id=st.none() | text,
    consent=st.sampled_from([None, True, False]),
    via=st.sampled_from(["http", "ws"]),
)
pages = st.lists(st.tuples(applications, st.sampled_from(list(Status))), max_size=20)


@given(pages, st.booleans())
def test_fast_lines_are_the_generic_rows(
    page: list[tuple[Application, Status]], mask: bool
) -> None:
    generic = "".join(format_row(application_row(a, s, JOBS.get(a.job_id), mask)) for a, s in page)
    lines = ApplicationLines(JOBS, mask)
    assert lines.text(page) == generic
    assert lines.text(page) == generic  # again, from the caches


def test_the_lines_read_back_as_the_columns() -> None:
    application = Application(
        "7", "j2", '王五,"老王"', "+8613800138000", 1_700_000_000_123, None, True, "ws",
        city="宁波", channel="wx",
    )  # fmt: skip
    text = ",".join(APPLICATION_COLUMNS) + "\r\n"
    lines = ApplicationLines(JOBS, mask_phones=False, channels={"wx": "视频号"})
    text += lines.text([(application, Status.HIRED)])
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert dict(zip(header, row, strict=True)) == {
        "application_id": "7",
        "job_id": "j2",
        "employer": '\'=HYPERLINK("x")',
        "title": 'say "hi", then\nleave',
        "name": '王五,"老王"',
        "phone": "'+8613800138000",
        "status": "hired",
        "applied_at": "2023-11-14T22:13:20.123Z",
        "card_id": "",
        "consent": "TRUE",
        "via": "ws",
        "city": "宁波",
        "channel": "视频号",
        "source": "live",
    }


def test_replay_and_station_applications_say_so_in_the_export() -> None:
    # Found by review r3: an application made from the replay read "直播页" (its transport)
    # and nothing else, so staff could not tell replay and station applications apart.
    page = [
        (
            Application("1", "j2", "王五", "13800138000", 1_700_000_000_000, None, True, "ws"),
            Status.APPLIED,
        ),
        (
            Application(
                "2", "j2", "赵六", "13800138001", 1_700_000_000_000, "c1", True, "ws",
                source=Source.REPLAY,
            ),
            Status.APPLIED,
        ),
        (
            Application(
                "3", "j2", "钱七", "13800138002", 1_700_000_000_000, None, True, "station",
                venue="v1", source=Source.STATION,
            ),
            Status.APPLIED,
        ),
    ]  # fmt: skip
    for layout, words in (
        (RAW, ["live", "replay", "station"]),
        (Layout(lang=Lang.ZH_CN), ["直播", "回放", "现场报名台"]),
        (Layout(lang=Lang.EN), ["live", "replay", "station"]),
    ):
        header = layout.headers(APPLICATION_COLUMNS, table="applications")
        text = format_row(list(header)) + ApplicationLines(JOBS, False, layout).text(page)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert [row[-1] for row in rows[1:]] == words
        generic = [application_row(a, s, JOBS.get(a.job_id), False, layout)[-1] for a, s in page]
        assert generic == words
    assert Layout(lang=Lang.ZH_CN).headers(("source",))[0] == "报名方式"
    # The station page's transport is worded too (it read "station" in a Chinese sheet).
    assert Layout(lang=Lang.ZH_CN).via("station") == "现场报名台"
    assert Layout(lang=Lang.EN).via("station") == "station page"
