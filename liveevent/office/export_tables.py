"""The tables the organisers export: applications, hires per job, the per-push breakdown, and
the questions viewers asked about the cards.

Each table is its columns and an async source of row pages read from the store, so a writer
(CSV or XLSX, web or CLI) streams any number of rows in constant memory. The numbers are read
from the same counters as ``GET /stats``, so the three always agree.

The applications table, the one that runs to a million rows, also gives its pages as CSV text
built straight from the stored applications (``Table.csv_pages``): one f-string per row instead
of a list of cells and a cell-by-cell type dispatch, about twice as fast. The two must write
the same file; ``tests/office/test_tables.py`` holds them to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from liveevent.domain import values
from liveevent.domain.applications import Application, Status, mask_phone
from liveevent.domain.attribution import Dimension
from liveevent.domain.jobs import Job
from liveevent.domain.pushes import PushBreakdown, pushes_from_timeline
from liveevent.office.layout import RAW, Layout
from liveevent.office.question_table import QUESTION_COLUMNS, question_rows
from liveevent.store import keys
from liveevent.store.applications import ApplicationLog
from liveevent.store.attribution import AttributionStore
from liveevent.store.events import EventStore
from liveevent.store.lookup import application_count
from liveevent.store.questions import QuestionStore
from liveevent.tables.csv_out import format_row, text_cell

Row = list[object]
Pages = Callable[[], AsyncIterator[list[Row]]]
# A page of CSV text (CRLF-ended lines, no header) and the number of rows in it.
CsvPages = Callable[[], AsyncIterator[tuple[str, int]]]

APPLICATION_COLUMNS = (
    "application_id",
    "job_id",
    "employer",
    "title",
    "name",
    "phone",
    "status",
    "applied_at",
    "card_id",
    "consent",
    "via",
    # Issue 16, last so that scripts reading columns by position read what they did before.
    "city",
    "channel",
    # Review r3: live, replay or station; last, for the same reason.
    "source",
)
HIRES_COLUMNS = ("employer", "job_id", "title", "openings", "applications", "hires")
# For scripts the headcount is two numbers (an empty end is open; both empty, unknown); for
# people it is one cell in words (``10-20人``), see `Layout.headcount`. ``openings_max`` comes
# last so that a script that reads the raw columns by position reads what it did before.
RAW_HIRES_COLUMNS = (*HIRES_COLUMNS, "openings_max")
ATTRIBUTION_COLUMNS = (
    "dimension",
    "value",
    "name",
    "viewers",
    "applications",
    "applicants",
    "hires",
    "jobs",
    "openings",
)
TABLE_NAMES = ("applications", "hires", "pushes", "attribution", "questions")
DEFAULT_WINDOW_MIN = 10


def push_columns(window_min: int) -> tuple[str, ...]:
    return (
        "card_id",
        "pushed_at",
        "job_id",
        "employer",
        "title",
        "on_screen_s",
        "applications",
        "applications_for_job",
        f"applications_within_{window_min}_min",
        "hires",
        "hires_for_job",
        # issue 16: which host (studio) pushed the card and which one took it down; last, so
        # that a script reading the raw columns by position reads what it did before.
        "pushed_by",
        "withdrawn_by",
    )


@dataclass(frozen=True, slots=True)
class Table:
    """``name`` is the table's code (``applications``); ``expected_rows`` is for progress bars.

    ``columns`` are the header row as the `Layout` words it; ``sheet`` the sheet's name in a
    workbook (``name`` if empty) and ``widths`` its column widths in characters.
    ``csv_pages``, when set, gives the same rows as ``pages`` already formatted as CSV.
    """

    name: str
    columns: tuple[str, ...]
    pages: Pages
    expected_rows: int
    csv_pages: CsvPages | None = None
    sheet: str = ""
    widths: tuple[float, ...] = ()


def _table(
    layout: Layout,
    name: str,
    columns: tuple[str, ...],
    pages: Pages,
    expected_rows: int,
    csv_pages: CsvPages | None = None,
) -> Table:
    return Table(
        name,
        layout.headers(columns, table=name),
        pages,
        expected_rows,
        csv_pages,
        sheet=layout.sheet_name(name),
        widths=layout.widths(columns, table=name),
    )


@dataclass(frozen=True, slots=True)
class Sources:
    events: EventStore
    applications: ApplicationLog
    questions: QuestionStore | None = None  # the questions table (issue 17 part 2)


async def applications_table(
    src: Sources, event_id: str, *, mask_phones: bool, layout: Layout = RAW
) -> Table:
    """One row per application; phones masked (``138****5678``) when ``mask_phones``."""
    jobs = {job.id: job for job in await src.events.jobs(event_id)}
    expected = await application_count(src.events.conn, event_id)
    channels = await channel_cells(src, event_id, layout)

    async def pages() -> AsyncIterator[list[Row]]:
        async for page in src.applications.iterate(event_id):
            yield [
                application_row(
                    application,
                    status,
                    jobs.get(application.job_id),
                    mask_phones,
                    layout,
                    channels=channels,
                )
                for application, status in page
            ]

    async def csv_pages() -> AsyncIterator[tuple[str, int]]:
        lines = ApplicationLines(jobs, mask_phones, layout, channels=channels)
        async for page in src.applications.iterate(event_id):
            yield lines.text(page), len(page)

    return _table(layout, "applications", APPLICATION_COLUMNS, pages, expected, csv_pages)


async def channel_cells(src: Sources, event_id: str, layout: Layout) -> dict[str, str]:
    """Channel id -> its cell in the applications table: the id (raw), or its name."""
    channels = await AttributionStore(src.events, src.applications).channels(event_id)
    return {c.id: c.id if layout.raw else c.name for c in channels}


def application_row(
    application: Application,
    status: Status,
    job: Job | None,
    mask_phones: bool,
    layout: Layout = RAW,
    *,
    channels: dict[str, str] | None = None,
) -> Row:
    phone = mask_phone(application.phone) if mask_phones else application.phone
    channel = application.channel or ""
    return [
        application.application_id,
        application.job_id,
        job.employer if job else "",
        job.title if job else "",
        application.name,
        phone if application.phone else "",
        layout.status(status),
        layout.time(application.applied_at),
        application.card_id or "",
        layout.consent(application.consent),
        layout.via(application.via),
        application.city or "",
        (channels or {}).get(channel, channel),
        layout.source(application.source),
    ]


_MILLIS_TEXT = [f".{millis:03d}Z" for millis in range(1000)]
_NO_MILLIS = [""] * 1000


class ApplicationLines:
    """Applications as CSV lines, the same text as ``format_row(application_row(...))``.

    The job's three cells are formatted once per job, the timestamp once per second and the
    channel once per code; the application id (a sequence number), status words and time
    need no escaping. ``layout`` words the cells as `application_row` does.
    """

    def __init__(
        self,
        jobs: dict[str, Job],
        mask_phones: bool,
        layout: Layout = RAW,
        *,
        channels: dict[str, str] | None = None,
    ) -> None:
        self._jobs = jobs
        self._channels = channels or {}
        # (city, channel, source) -> their cells
        self._places: dict[tuple[str | None, str | None, str | None], str] = {}
        self._mask = mask_phones
        self._layout = layout
        self._job_cells: dict[str, str] = {}
        self._seconds: dict[int, str] = {}
        self._vias: dict[str, str] = {}
        # Status and consent words are fixed texts without separators or formula starts.
        self._statuses = layout.status_words()  # a dict: .value is a slow property
        self._consents = layout.consent_words()
        # Raw times keep their milliseconds (ISO UTC); people's are whole local seconds.
        self._millis = _MILLIS_TEXT if layout.raw else _NO_MILLIS

    def text(self, page: list[tuple[Application, Status]]) -> str:
        job_cells, seconds, millis_z = self._job_cells, self._seconds, self._millis
        consents, statuses, mask, vias = self._consents, self._statuses, self._mask, self._vias
        lines: list[str] = []
        add = lines.append
        for application, status in page:
            app_id, job_id, name, phone, applied_at, card, consent, via = application[:8]
            where = (application.city, application.channel, application.source)
            place = self._places.get(where) or self._place(where)
            job = job_cells.get(job_id) or self._job(job_id)
            # Letters and digits alone need no escaping: a method call instead of a function
            # call for nearly every name, phone and card (text_cell(x) == x for them).
            if mask and phone:
                phone = text_cell(mask_phone(phone))
            elif not phone.isdigit():
                phone = text_cell(phone)
            if not name.isalnum():
                name = text_cell(name)
            if card and not card.isalnum():
                card = text_cell(card)
            second, millis = divmod(applied_at, 1000)
            at = seconds.get(second) or self._second(second)
            via = vias.get(via) or self._via(via)
            add(
                f"{app_id},{job},{name},{phone},{statuses[status]},"
                f"{at}{millis_z[millis]},{card or ''},{consents[consent]},{via},{place}\r\n"
            )
        return "".join(lines)

    def _job(self, job_id: str) -> str:
        job = self._jobs.get(job_id)
        cells = [job_id, job.employer if job else "", job.title if job else ""]
        self._job_cells[job_id] = text = format_row(cells)[:-2]  # without its CRLF
        return text

    def _second(self, second: int) -> str:
        if len(self._seconds) > 100_000:  # a bound on memory for a pathological spread
            self._seconds.clear()
        if self._layout.raw:
            text = values.iso(second * 1000)[:-5]  # without ".000Z"
        else:
            text = self._layout.local_second(second).isoformat(sep=" ")
        self._seconds[second] = text
        return text

    def _place(self, where: tuple[str | None, str | None, str | None]) -> str:
        if len(self._places) > 10_000:  # bounded: cities, channels and sources are few
            self._places.clear()
        city, channel = where[0] or "", where[1] or ""
        cells = [city, self._channels.get(channel, channel), self._layout.source(where[2])]
        self._places[where] = text = format_row(cells)[:-2]
        return text

    def _via(self, via: str) -> str:
        self._vias[via] = text = text_cell(self._layout.via(via))
        return text


async def hire_rows(src: Sources, event_id: str, *, layout: Layout = RAW) -> list[Row]:
    """Per job: employer, job id, title, headcount, applications, hires (the /stats counters).

    The headcount is ``openings`` here and ``openings_max`` last (raw), or one cell in words
    (people)."""
    counters = await src.applications.counters(event_id)
    return [
        [
            job.employer,
            job.id,
            job.title,
            layout.headcount(job.openings, job.openings_max),
            counters.get(keys.job_applications(job.id), 0),
            counters.get(keys.job_hires(job.id), 0),
            *([job.openings_max] if layout.raw else []),
        ]
        for job in await src.events.jobs(event_id)
    ]


async def hires_table(src: Sources, event_id: str, *, layout: Layout = RAW) -> Table:
    rows = await hire_rows(src, event_id, layout=layout)

    async def pages() -> AsyncIterator[list[Row]]:
        yield rows

    columns = RAW_HIRES_COLUMNS if layout.raw else HIRES_COLUMNS
    return _table(layout, "hires", columns, pages, len(rows))


async def pushes_table(
    src: Sources, event_id: str, *, window_min: int = DEFAULT_WINDOW_MIN, layout: Layout = RAW
) -> Table:
    """One row per card push; reads every application once to count (constant memory)."""
    records = [record async for record in src.events.timeline_records(event_id)]
    pushes = pushes_from_timeline(records)

    async def pages() -> AsyncIterator[list[Row]]:
        breakdown = PushBreakdown(pushes, window_ms=window_min * 60_000)
        async for page in src.applications.iterate(event_id):
            for application, status in page:
                breakdown.add(application, status)
        rows: list[Row] = []
        for row in breakdown.rows():
            card = row.push.card
            on_screen = row.on_screen_ms
            rows.append(
                [
                    card.card_id,
                    layout.time(card.pushed_at),
                    card.job.id,
                    card.job.employer,
                    card.job.title,
                    None if on_screen is None else round(on_screen / 1000),
                    row.applications,
                    row.applications_for_job,
                    row.applications_within,
                    row.hires,
                    row.hires_for_job,
                    card.pushed_by,
                    row.push.withdrawn_by,
                ]
            )
        yield rows

    return _table(layout, "pushes", push_columns(window_min), pages, len(pushes))


async def attribution_table(src: Sources, event_id: str, *, layout: Layout = RAW) -> Table:
    """Figures by city, channel, channel x city, venue and source: one row per value, from
    ``AttributionStore.figures`` (the same as ``GET /stats``' ``by_city``...)."""
    figures = await AttributionStore(src.events, src.applications).figures(event_id)
    rows: list[Row] = []
    for dimension, wire_rows in (
        (Dimension.CITY, "by_city"),
        (Dimension.CHANNEL, "by_channel"),
        (Dimension.CHANNEL_CITY, "by_channel_city"),
        (Dimension.VENUE, "by_venue"),
        (Dimension.SOURCE, "by_source"),
    ):
        for row in figures.to_wire()[wire_rows]:
            if dimension is Dimension.CHANNEL_CITY:
                value, name = row["city"], row["name"]
            else:
                value, name = row[str(dimension)], row.get("name")
            rows.append(
                [
                    layout.dimension(str(dimension)),
                    layout.not_given() if value is None else value,
                    name or "",
                    *(row.get(c) for c in ATTRIBUTION_COLUMNS[3:]),
                ]
            )

    async def pages() -> AsyncIterator[list[Row]]:
        yield rows

    return _table(layout, "attribution", ATTRIBUTION_COLUMNS, pages, len(rows))


async def questions_table(src: Sources, event_id: str, *, layout: Layout = RAW) -> Table:
    """One row per question asked about a card (``office/question_table.py``); none when
    ``src`` has no question store."""
    store = src.questions or QuestionStore(src.events.conn)
    rows = await question_rows(src.events, store, event_id, layout)

    async def pages() -> AsyncIterator[list[Row]]:
        yield rows

    return _table(layout, "questions", QUESTION_COLUMNS, pages, len(rows))


async def table(
    src: Sources,
    event_id: str,
    name: str,
    *,
    mask_phones: bool,
    window_min: int,
    layout: Layout = RAW,
) -> Table:
    """The table called ``name`` (one of ``TABLE_NAMES``), worded by ``layout``."""
    if name == "applications":
        return await applications_table(src, event_id, mask_phones=mask_phones, layout=layout)
    if name == "hires":
        return await hires_table(src, event_id, layout=layout)
    if name == "attribution":
        return await attribution_table(src, event_id, layout=layout)
    if name == "questions":
        return await questions_table(src, event_id, layout=layout)
    return await pushes_table(src, event_id, window_min=window_min, layout=layout)
