"""The organisers' commands: jobs import, outcomes import, export, summary, purge.

They talk to the store directly (the same settings as ``serve``: ``--config``, ``--data-dir``,
``--redis-url``). With the embedded store they re-attach to the one a running server uses, or
start it for the command and stop it after. What a command changed is recorded in the event's
audit stream as ``cli:<user>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from liveevent.config import Settings
from liveevent.domain.events import EventState
from liveevent.errors import BodyTooLarge, Conflict, InvalidInput
from liveevent.office.jobs import import_jobs
from liveevent.office.layout import DEFAULT_TIME_ZONE, Layout
from liveevent.office.outcomes import import_outcomes
from liveevent.office.sheet_process import SheetReader, sheet_limits
from liveevent.office.summary import summary
from liveevent.office.tables import DEFAULT_WINDOW_MIN, TABLE_NAMES, Sources, table
from liveevent.office.writers import write_csv, write_xlsx
from liveevent.store.applications import ApplicationLog
from liveevent.store.connect import StoreConnection, open_store
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.events import EventStore
from liveevent.store.purge import forget_on_disk, purge_event

COMMANDS = ("jobs", "outcomes", "export", "summary", "purge")


def add_parsers(sub: Any) -> None:
    """Add the organisers' subcommands to the ``liveevent`` parser."""

    def store_args(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--config", type=Path, help="TOML settings file (default: packaged)")
        parser.add_argument("--data-dir", type=Path, help="data directory (LIVEEVENT_DATA_DIR)")
        parser.add_argument("--redis-url", help="the store, if not the embedded one")
        parser.set_defaults(host=None, port=None, public_url=None)

    jobs = sub.add_parser("jobs", help="an event's jobs").add_subparsers(
        dest="action", required=True
    )
    jobs_import = jobs.add_parser("import", help="import jobs from a CSV or XLSX sheet")
    jobs_import.add_argument("file", type=Path)
    jobs_import.add_argument("--event", required=True, help="event id")
    jobs_import.add_argument("--skip-invalid", action="store_true", help="import the good rows")
    jobs_import.add_argument("--mapping", help='JSON: {"header": "field", ...}')
    store_args(jobs_import)
    outcomes = sub.add_parser("outcomes", help="employers' outcome sheets")
    actions = outcomes.add_subparsers(dest="action", required=True)
    outcomes_import = actions.add_parser("import", help="apply an outcome sheet")
    outcomes_import.add_argument("file", type=Path)
    outcomes_import.add_argument("--event", required=True, help="event id")
    outcomes_import.add_argument("--dry-run", action="store_true", help="show, change nothing")
    store_args(outcomes_import)
    export = sub.add_parser("export", help="export an event's tables as CSV or XLSX")
    export.add_argument("--event", required=True, help="event id")
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--out", type=Path, required=True, help="file to write")
    export.add_argument(
        "--table", choices=TABLE_NAMES, help="default: applications (csv), all (xlsx)"
    )
    export.add_argument("--window-min", type=int, default=DEFAULT_WINDOW_MIN)
    export.add_argument("--lang", default="zh-CN", help="zh-CN (default) or en: headers, words")
    export.add_argument(
        "--form", default="people", help="people (default) or raw: codes and UTC for scripts"
    )
    export.add_argument("--time-zone", help="IANA zone of the times (setting time_zone)")
    store_args(export)
    totals = sub.add_parser("summary", help="every event's numbers")
    totals.add_argument("--json", action="store_true", help="print JSON")
    store_args(totals)
    purge = sub.add_parser("purge", help="remove an ended event's names and phones")
    purge.add_argument("--event", required=True, help="event id")
    store_args(purge)


@dataclass(frozen=True, slots=True)
class Office:
    conn: StoreConnection
    events: EventStore
    applications: ApplicationLog
    sheets: SheetReader  # the same parsing, off-loop process and limits as the server's
    time_zone: str = DEFAULT_TIME_ZONE  # the setting, for exports

    @property
    def sources(self) -> Sources:
        return Sources(self.events, self.applications)


@contextlib.asynccontextmanager
async def open_office(settings: Settings) -> AsyncIterator[Office]:
    """The store, as ``serve`` would open it; an embedded one started here is stopped after."""
    embedded: EmbeddedStore | None = None
    if settings.redis_url is not None:
        url = settings.redis_url.reveal()
    else:
        embedded = EmbeddedStore(settings.data_dir)
        url = await embedded.start()
    # Re-attached to a running server's store: that server owns it, so leave it running.
    started_here = embedded is not None and embedded._child is not None
    try:
        conn = await open_store(
            url,
            key_prefix=settings.key_prefix,
            timeout_s=settings.store_timeout_s,
            waitaof_timeout_ms=settings.waitaof_timeout_ms,
        )
        try:
            yield Office(
                conn,
                EventStore(conn),
                ApplicationLog(conn),
                SheetReader(sheet_limits(settings)),
                time_zone=settings.time_zone,
            )
        finally:
            await conn.close()
    finally:
        if embedded is not None and started_here:
            await embedded.stop()


class ProgressBar:
    """``applications  123,456 / 1,000,000  12%`` on stderr, redrawn at most 5 times a second."""

    def __init__(self, expected: dict[str, int], out: TextIO = sys.stderr) -> None:
        self.expected = expected
        self.out = out
        self._last = 0.0
        self._name: str | None = None

    def __call__(self, name: str, rows: int) -> None:
        now = time.monotonic()
        total = self.expected.get(name, 0)
        if now - self._last < 0.2 and rows < total and name == self._name:
            return
        self._last = now
        if self._name is not None and name != self._name:
            # Each table keeps its finished line: "\r" alone ran them together in a log.
            self.out.write("\n")
        self._name = name
        share = f"{min(100, rows * 100 // total):3d}%" if total else ""
        self.out.write(f"\r{name:<13} {rows:>11,} / {total:,} {share}")
        self.out.flush()

    def done(self) -> None:
        self.out.write("\n")
        self.out.flush()


def _by() -> str:
    return f"cli:{getpass.getuser()}"


def _now() -> int:
    return int(time.time() * 1000)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one organiser command; returns the exit status (problems go to stderr)."""
    try:
        async with open_office(settings) as office:
            return await _COMMANDS[args.command](office, args)
    except (InvalidInput, BodyTooLarge) as exc:  # BodyTooLarge: a sheet over a limit
        print(f"liveevent: {exc.message}", file=sys.stderr)
        for where, why in exc.fields.items():
            if why != exc.message:  # a whole-file problem is its own headline: once is enough
                print(f"  {where}: {why}", file=sys.stderr)
        return 1


async def _jobs(office: Office, args: argparse.Namespace) -> int:
    from liveevent.web.imports import parse_mapping  # the same mapping syntax as the API

    data = await asyncio.to_thread(args.file.read_bytes)
    result = await import_jobs(
        office.events,
        args.event,
        data,
        reader=office.sheets,
        content_type=args.file.name,
        mapping=parse_mapping(args.mapping),
        skip_invalid=args.skip_invalid,
    )
    print(json.dumps(result.to_wire(), ensure_ascii=False, indent=2))
    return 0


async def _outcomes(office: Office, args: argparse.Namespace) -> int:
    data = await asyncio.to_thread(args.file.read_bytes)
    report = await import_outcomes(
        office.events,
        office.applications,
        args.event,
        data,
        by=_by(),
        now=_now(),
        dry_run=args.dry_run,
        reader=office.sheets,
        content_type=args.file.name,
    )
    print(json.dumps(report.to_wire(), ensure_ascii=False, indent=2))
    return 0


async def _export(office: Office, args: argparse.Namespace) -> int:
    query = {"lang": args.lang, "form": args.form}
    layout = Layout.parse(query, time_zone=office.time_zone)
    await office.events.event_view(args.event)
    names: tuple[str, ...] = (args.table,) if args.table else ("applications",)
    if args.format == "xlsx" and not args.table:
        names = TABLE_NAMES
    tables = [
        await table(
            office.sources,
            args.event,
            n,
            mask_phones=False,
            window_min=args.window_min,
            layout=layout,
        )
        for n in names
    ]
    bar = ProgressBar({t.name: t.expected_rows for t in tables})
    if args.format == "csv":
        # A local file written a page at a time (the writes are small; the store is the wait).
        with args.out.open("wb") as fh:

            async def write(chunk: bytes) -> None:
                fh.write(chunk)

            rows = await write_csv(tables[0], write, progress=bar)
    else:
        rows = sum((await write_xlsx(tables, args.out, progress=bar)).values())
    bar.done()
    entry = {"what": "export", "table": args.table or "+".join(names), "format": args.format}
    entry.update(by=_by(), rows=rows, at=_now())
    await office.applications.audit(args.event, entry)
    print(f"{rows:,} rows -> {args.out}", file=sys.stderr)
    return 0


async def _summary(office: Office, args: argparse.Namespace) -> int:
    report = await summary(office.events, office.applications)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    head = ("event", "state", "peak", "applications", "applicants", "hires", "title")
    print("{:<12} {:<9} {:>6} {:>12} {:>10} {:>6}  {}".format(*head))
    for e in report["events"]:
        print(
            f"{e['event_id']:<12} {e['state']:<9} {e['viewers_peak']:>6} "
            f"{e['applications']:>12} {e['applicants']:>10} {e['hires']:>6}  {e['title']}"
        )
    print("\nper employer (all events):")
    for emp in report["employers"]:
        print(
            f"  {emp['employer']}: {emp['jobs']} jobs, {emp['openings']} openings, "
            f"{emp['applications']} applications, {emp['hires']} hires"
        )
    return 0


async def _purge(office: Office, args: argparse.Namespace) -> int:
    view = await office.events.event_view(args.event)
    if view.state is not EventState.ENDED:
        raise Conflict(f"only an ended event can be purged (it is {view.state})")
    report = await purge_event(office.conn, args.event, now=_now())
    entry = {"what": "purge", "by": _by(), "at": _now(), "rows": report.applications}
    await office.applications.audit(args.event, entry)
    print(
        f"purged event {args.event}: {report.applications} applications, "
        f"{report.applicants} applicants (names and phones removed)"
    )
    # Last, so that a rewrite that fails or times out (StoreUnavailable) leaves the purge
    # itself done and audited; running the purge again retries this step.
    disk = await forget_on_disk(office.conn)
    print(f"store files rewritten: {disk.aof_rewritten} AOF, {disk.rdb_saved} RDB snapshot(s)")
    for note in disk.todo:
        print(f"liveevent: the operator must still: {note}", file=sys.stderr)
    return 0


_COMMANDS = {
    "jobs": _jobs,
    "outcomes": _outcomes,
    "export": _export,
    "summary": _summary,
    "purge": _purge,
}
