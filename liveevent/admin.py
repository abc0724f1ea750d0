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
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from liveevent.cli import file_fault, read_file
from liveevent.config import Settings
from liveevent.domain.events import EventState
from liveevent.domain.fair_report import DateRange
from liveevent.errors import BodyTooLarge, Conflict, InvalidInput
from liveevent.office.export_tables import DEFAULT_WINDOW_MIN, TABLE_NAMES, Sources, table
from liveevent.office.jobs import import_jobs
from liveevent.office.layout import DEFAULT_TIME_ZONE, Layout, load_zone
from liveevent.office.outcomes import import_outcomes
from liveevent.office.report import ReportSources, fair_report, fairs_report
from liveevent.office.report_book import fairs_csv, fairs_text, write_fair_book, write_fairs_book
from liveevent.office.sheet_process import SheetReader, sheet_limits
from liveevent.office.summary import summary
from liveevent.office.writers import write_csv, write_xlsx
from liveevent.store.applications import ApplicationLog
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.opening import open_configured_store
from liveevent.store.purge import forget_on_disk, purge_event
from liveevent.tables.errors import TableError

COMMANDS = ("jobs", "outcomes", "export", "summary", "report", "purge")


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
    jobs_import.add_argument("--json", action="store_true", help="print the whole report as JSON")
    store_args(jobs_import)
    outcomes = sub.add_parser("outcomes", help="employers' outcome sheets")
    actions = outcomes.add_subparsers(dest="action", required=True)
    outcomes_import = actions.add_parser("import", help="apply an outcome sheet")
    outcomes_import.add_argument("file", type=Path)
    outcomes_import.add_argument("--event", required=True, help="event id")
    outcomes_import.add_argument("--dry-run", action="store_true", help="show, change nothing")
    outcomes_import.add_argument(
        "--json", action="store_true", help="print the whole report as JSON"
    )
    store_args(outcomes_import)
    export = sub.add_parser("export", help="export an event's tables as CSV or XLSX")
    export.add_argument("--event", required=True, help="event id")
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--out", type=Path, required=True, help="file to write")
    export.add_argument(
        "--table",
        choices=(*TABLE_NAMES, "report"),
        help="default: applications (csv), all (xlsx); report: the fair report (xlsx)",
    )
    export.add_argument("--window-min", type=int, default=DEFAULT_WINDOW_MIN)
    export.add_argument("--lang", default="zh-CN", help="zh-CN (default) or en: headers, words")
    export.add_argument(
        "--form", default="people", help="people (default) or raw: codes and UTC for scripts"
    )
    export.add_argument("--time-zone", help="IANA zone of the times (setting time_zone)")
    store_args(export)
    totals = sub.add_parser(
        "summary", help="every event's numbers, and the employers with applications or hires"
    )
    totals.add_argument("--json", action="store_true", help="print JSON")
    totals.add_argument(
        "--all", action="store_true", help="list every employer, also those with no activity"
    )
    store_args(totals)
    fairs = sub.add_parser(
        "report", help="every fair starting in a date range, with totals (issue 16)"
    )
    fairs.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
    fairs.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (default: --from)")
    fairs.add_argument("--format", choices=("text", "json", "csv", "xlsx"), default="text")
    fairs.add_argument("--out", type=Path, help="file to write (csv, xlsx; default: stdout)")
    fairs.add_argument("--lang", choices=("zh-CN", "en"), default="zh-CN", help="CSV headers")
    fairs.add_argument("--time-zone", help="IANA zone of the days (setting time_zone)")
    store_args(fairs)
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
    # Re-attached to a running server's store: that server owns it, so leave it running.
    async with open_configured_store(settings, stop_reattached=False) as conn:
        yield Office(
            conn,
            EventStore(conn),
            ApplicationLog(conn),
            SheetReader(sheet_limits(settings)),
            time_zone=settings.time_zone,
        )


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
    """Run one organiser command; returns the exit status, problems going to stderr:

    0 done; 1 a sheet with bad rows (each listed as ``  row N: column: why``); 2 one line for
    anything else the caller got wrong: a file that cannot be read or written or is not a
    sheet, a file over a limit, a bad option, an unknown event.
    """
    try:
        # The caller's files first: a missing sheet or an unwritable --out is reported before
        # the store is opened (or started), and nothing is done.
        if getattr(args, "file", None) is not None:
            args.sheet = await asyncio.to_thread(read_file, args.file)
        if args.command == "export" or getattr(args, "out", None) is not None:
            _check_out_file(args.out)
        async with open_office(settings) as office:
            return await _COMMANDS[args.command](office, args)
    except (InvalidInput, BodyTooLarge) as exc:  # BodyTooLarge: a sheet over a limit
        rows = {where: why for where, why in exc.fields.items() if where.startswith("row ")}
        if not rows:
            print(f"liveevent: {_whole_file(exc, args)}", file=sys.stderr)
            return 2
        print(f"liveevent: {exc.message}", file=sys.stderr)
        for where, why in rows.items():
            print(f"  {where}: {why}", file=sys.stderr)
        return 1


def _whole_file(exc: InvalidInput | BodyTooLarge, args: argparse.Namespace) -> str:
    """The one line for a whole-file fault: the sheet's own reason names no file, so add it."""
    sheet: Path | None = getattr(args, "file", None)
    if sheet is not None and isinstance(exc.__cause__, TableError):
        return f"cannot import {sheet}: {exc.message}"
    return exc.message


async def _jobs(office: Office, args: argparse.Namespace) -> int:
    from liveevent.web.imports import parse_mapping  # the same mapping syntax as the API

    mapping = parse_mapping(args.mapping)
    result = await import_jobs(
        office.events,
        args.event,
        args.sheet,
        reader=office.sheets,
        content_type=args.file.name,
        mapping=mapping,
        skip_invalid=args.skip_invalid,
    )
    wire = result.to_wire()
    if args.json:
        print(json.dumps(wire, ensure_ascii=False, indent=2))
        return 0
    print(f"{args.file}: {_counts(wire, JOB_COUNTS)}")
    # Warnings too: a hidden row skipped is a row the sender may expect to see imported.
    for label, key in (
        ("repaired", "repairs"),
        ("not imported", "rejected"),
        ("warnings", "warnings"),
    ):
        _print_rows(label, wire.get(key, []))
    return 0


# What the short report counts, in this order: (label, key in the JSON report). A key the
# report lacks is left out, and a list is counted.
JOB_COUNTS = (
    ("created", "created"),
    ("updated", "updated"),
    ("merged", "merged"),
    ("repaired", "repairs"),
    ("problems", "rejected"),
)
OUTCOME_COUNTS = (
    ("rows", "rows"),
    ("changed", "changed"),
    ("unchanged", "unchanged"),
    ("unmatched", "unmatched"),
    ("problems", "problems"),
)
# Rows listed under the short report; the rest are counted, and all are in --json.
SHOWN_ROWS = 10


def _counts(wire: dict[str, Any], which: tuple[tuple[str, str], ...]) -> str:
    """``created 2, updated 0, ...`` from a JSON report."""
    parts = []
    for label, key in which:
        if key in wire:
            value = wire[key]
            parts.append(f"{label} {len(value) if isinstance(value, list) else value}")
    return ", ".join(parts)


def _print_rows(label: str, problems: list[dict[str, Any]]) -> None:
    """The first ``SHOWN_ROWS`` problems as ``  row N: column: message`` under a heading."""
    if not problems:
        return
    print(f"{label}:")
    for p in problems[:SHOWN_ROWS]:
        where = f"row {p.get('row')}" + (f": {p['column']}" if p.get("column") else "")
        print(f"  {where}: {p.get('message', '')}")
    if len(problems) > SHOWN_ROWS:
        print(f"  ... and {len(problems) - SHOWN_ROWS} more (--json lists them all)")


async def _outcomes(office: Office, args: argparse.Namespace) -> int:
    report = await import_outcomes(
        office.events,
        office.applications,
        args.event,
        args.sheet,
        by=_by(),
        now=_now(),
        dry_run=args.dry_run,
        reader=office.sheets,
        content_type=args.file.name,
    )
    wire = report.to_wire()
    if args.json:
        print(json.dumps(wire, ensure_ascii=False, indent=2))
        return 0
    dry = " (dry run: nothing was changed)" if args.dry_run else ""
    print(f"{args.file}: {_counts(wire, OUTCOME_COUNTS)}{dry}")
    _print_rows("unmatched", wire.get("unmatched", []))
    _print_rows("problems", wire.get("problems", []))
    return 0


def _check_out_file(path: Path) -> None:
    """Raise ``InvalidInput`` (see ``file_fault``) before any work if ``path`` cannot be
    written: a folder, in a folder that is missing or is a file, or not writable."""
    fault: OSError | None = None
    parent = path.parent
    if path.is_dir():
        fault = IsADirectoryError(21, "Is a directory", str(path))
    elif not parent.exists():
        fault = FileNotFoundError(2, "No such file or directory", str(parent))
    elif not parent.is_dir():
        fault = NotADirectoryError(20, "Not a directory", str(parent))
    elif not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fault = PermissionError(13, "Permission denied", str(path))
    if fault is not None:
        raise file_fault(path, fault, field="out", doing="write")


async def _export(office: Office, args: argparse.Namespace) -> int:
    if args.table == "report":
        return await _fair_report(office, args)
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
    try:
        if args.format == "csv":
            # A local file written a page at a time (the writes are small; the store is the
            # wait).
            with args.out.open("wb") as fh:

                async def write(chunk: bytes) -> None:
                    fh.write(chunk)

                rows = await write_csv(tables[0], write, progress=bar)
        else:
            rows = sum((await write_xlsx(tables, args.out, progress=bar)).values())
    except OSError as exc:  # the disk filled up, or the folder went away meanwhile
        bar.done()
        raise file_fault(args.out, exc, field="out", doing="write") from exc
    bar.done()
    entry = {"what": "export", "table": args.table or "+".join(names), "format": args.format}
    entry.update(by=_by(), rows=rows, at=_now())
    await office.applications.audit(args.event, entry)
    print(f"{rows:,} rows -> {args.out}", file=sys.stderr)
    return 0


async def _summary(office: Office, args: argparse.Namespace) -> int:
    report = await summary(office.events, office.applications, every_employer=args.all)
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
    which = "all events" if args.all else "all events; those with applications or hires"
    print(f"\nper employer ({which}):")
    for emp in report["employers"]:
        print(
            f"  {emp['employer']}: {emp['jobs']} jobs, {emp['openings']} openings, "
            f"{emp['applications']} applications, {emp['hires']} hires"
        )
    if not report["employers"]:
        print("  (none yet)")
    quiet = report["employers_not_shown"]
    if quiet:
        print(f"  ... and {quiet} employer(s) with no applications yet (--all lists them)")
    if any(row["city"] is not None for row in report["by_city"]):
        print("\nper city (all events):")
        for row in report["by_city"]:
            print(
                f"  {row['city'] or '(no city)'}: {row.get('jobs', 0)} jobs, "
                f"{row.get('openings', 0)} openings, {row.get('applications', 0)} applications, "
                f"{row.get('hires', 0)} hires"
            )
    return 0


def _zone(office: Office, args: argparse.Namespace) -> ZoneInfo:
    name = getattr(args, "time_zone", None) or office.time_zone
    try:
        return load_zone(name)
    except ValueError as exc:
        raise InvalidInput(str(exc), fields={"time_zone": "an IANA time zone"}) from exc


async def _fair_report(office: Office, args: argparse.Namespace) -> int:
    """``liveevent export --event ID --table report --out FILE.xlsx``: the fair report."""
    if args.format != "xlsx":
        why = "the report is a workbook: use --format xlsx"
        raise InvalidInput(why, fields={"format": why})
    report = await fair_report(ReportSources.of(office.events, office.applications), args.event)
    try:
        counts = await asyncio.to_thread(
            write_fair_book, report, args.out, zone=_zone(office, args)
        )
    except OSError as exc:
        raise file_fault(args.out, exc, field="out", doing="write") from exc
    rows = sum(counts.values())
    entry: dict[str, Any] = {"what": "export", "table": "report", "format": "xlsx", "by": _by()}
    entry.update(rows=rows, at=_now())
    await office.applications.audit(args.event, entry)
    print(f"fair report, {rows:,} rows -> {args.out}", file=sys.stderr)
    return 0


async def _report(office: Office, args: argparse.Namespace) -> int:
    """``liveevent report --from DATE --to DATE``: every fair in the range and the total."""
    query = {"from": args.date_from, "to": args.date_to}
    days = DateRange.parse(query, zone=_zone(office, args))
    report = await fairs_report(ReportSources.of(office.events, office.applications), days)
    if args.format in ("csv", "xlsx") and args.out is None:
        why = f"--format {args.format} writes a file: give --out"
        raise InvalidInput(why, fields={"out": why})
    try:
        if args.format == "xlsx":
            await asyncio.to_thread(write_fairs_book, report, args.out)
        elif args.format == "csv":
            await asyncio.to_thread(args.out.write_bytes, fairs_csv(report, lang=args.lang))
    except OSError as exc:
        raise file_fault(args.out, exc, field="out", doing="write") from exc
    if args.format == "json":
        print(json.dumps(report.to_wire(), ensure_ascii=False, indent=2))
    else:
        print(fairs_text(report))
        if args.out is not None:
            print(f"-> {args.out}", file=sys.stderr)
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
    "report": _report,
    "purge": _purge,
}
