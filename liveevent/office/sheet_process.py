"""Reading uploaded sheets in a child process, off the event loop that serves the viewers.

Theory of operation: parsing a job or outcome sheet is pure CPU (openpyxl and the csv module hold
the GIL): a 100,000-row XLSX takes seconds, and a hostile 5 KB one took 16.6 s, during which no
viewer got a card and ``/healthz`` did not answer. So `SheetReader` runs each read in a fresh
process forked from a ``forkserver`` that has the parsing modules already imported, and waits
for it from a thread; the loop only sees the pickled result arrive.

Why a process, not a thread: a thread would still take the GIL from the loop for most of the
read (the loop waits up to ``sys.getswitchinterval()`` each time it wants it back, so every
socket write of a fan-out queues behind the parser; measured: 520-580 ms loop stalls during a
100,000-row import), and a thread cannot be stopped when it overruns its budget. A process
costs a fork (~15 ms, the modules being preloaded) and sending the rows back (5-6 % of a
100,000-row read), and it is killed when it overruns. It exits after each read, so an idle
server holds no parser memory; only the forkserver (~30 MB) stays once a first sheet is read.

Limits (`SheetLimits`, built from the settings by `sheet_limits`) are checked inside the child
as it reads; the parent also kills a child that overruns ``budget_s`` by more than a grace
period (a step openpyxl does in one go, such as loading the shared strings, cannot check the
clock). One read runs at a time per server process: the machine's other cores belong to the
viewers, and imports are rare staff actions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import multiprocessing
import operator
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from liveevent.config import Settings
from liveevent.domain.jobs import Job
from liveevent.errors import InvalidInput
from liveevent.tables.cells import fold
from liveevent.tables.errors import TableError, TableTimeoutError, UnreadableTableError
from liveevent.tables.jobs_in import JobRow, parse_job_sheet
from liveevent.tables.outcomes_in import OutcomeImport, OutcomeRow, parse_outcome_sheet
from liveevent.tables.sheet import Deadline, Problem, SheetLimits

T = TypeVar("T")
H = TypeVar("H")
# How long past its budget a child may run before it is killed: the child checks its own
# deadline between rows and normally reports the overrun itself, with a clearer message.
_GRACE_S = 5.0
_POLL_S = 0.25
_CONTEXT = multiprocessing.get_context("forkserver")
# The forkserver imports these once; every child forked from it starts with them loaded.
_CONTEXT.set_forkserver_preload([__name__])


def sheet_limits(settings: Settings) -> SheetLimits:
    """The sheet limits of ``settings`` (``max_upload_bytes``, ``max_sheet_*``,
    ``sheet_read_budget_s``)."""
    return SheetLimits(
        max_bytes=settings.max_upload_bytes,
        max_unzipped_bytes=settings.max_sheet_unzipped_bytes,
        max_rows=settings.max_sheet_rows,
        max_columns=settings.max_sheet_columns,
        budget_s=settings.sheet_read_budget_s,
    )


@dataclass(frozen=True, slots=True)
class JobSheet:
    """A job sheet read and validated: ``jobs`` ready to store (each a domain `Job`),
    ``problems`` for the rows that are not, ``repairs`` made on the way, ``merged`` rows folded
    into an earlier posting, ``warnings`` that did not stop a row (`JobImport.warnings`),
    ``source_rows`` the sheet row of each job, in the same order."""

    jobs: tuple[Job, ...]
    problems: tuple[Problem, ...]
    repairs: tuple[Problem, ...]
    merged: int
    warnings: tuple[Problem, ...] = ()
    source_rows: tuple[int, ...] = ()


class SheetReader:
    """Reads job and outcome sheets within ``limits``, in a child process (see module doc).

    Every method raises a `TableError` for a file it cannot read; `TableTooLargeError` and
    `TableTimeoutError` carry the name of the limit in ``limit``.
    """

    def __init__(self, limits: SheetLimits) -> None:
        self.limits = limits
        self._one_at_a_time = asyncio.Semaphore(1)

    async def read_jobs(
        self, data: bytes, *, content_type: str | None, mapping: Mapping[str, str] | None
    ) -> JobSheet:
        args = (data, content_type, dict(mapping) if mapping else None, self.limits)
        return await self._run(_jobs_in_child, args, _jobs_rebuilt)

    async def read_outcomes(
        self, data: bytes, *, content_type: str | None, mapping: Mapping[str, str] | None
    ) -> OutcomeImport:
        args = (data, content_type, dict(mapping) if mapping else None, self.limits)
        return await self._run(_outcomes_in_child, args, _outcomes_rebuilt)

    async def _run(
        self,
        fn: Callable[..., tuple[H, list[tuple[Any, ...]]]],
        args: tuple[Any, ...],
        rebuild: Callable[[H, list[tuple[Any, ...]]], T],
    ) -> T:
        # A cancelled request (the client left, the server is stopping) tells the waiting
        # thread to kill the child: otherwise shutdown would wait for the thread, up to the budget.
        cancelled = threading.Event()
        async with self._one_at_a_time:
            try:
                ok, value = await asyncio.to_thread(
                    _in_child, fn, args, rebuild, self.limits.budget_s + _GRACE_S, cancelled
                )
            except asyncio.CancelledError:
                cancelled.set()
                raise
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


def stable_job_id(employer: str, title: str, location: str | None) -> str:
    """The same posting (compared as the importer merges them) always gets the same id."""
    key = "\x1f".join(fold(part) for part in (employer, title, location or ""))
    return "j" + hashlib.sha256(key.encode()).hexdigest()[:15]


def to_job(row: JobRow) -> Job:
    """Validate a sheet row as a domain job; raises ``InvalidInput`` naming the fields."""
    data: dict[str, Any] = {
        "employer": row.employer,
        "title": row.title,
        "openings": row.openings,
        "openings_max": row.openings_max,
        "salary": row.salary,
        "location": row.location,
        "description": row.description,
    }
    new_id = stable_job_id(row.employer, row.title, row.location)
    if row.id is not None:
        data["id"] = row.id
    return Job.parse(data, new_id=new_id)


def read_job_sheet(
    data: bytes,
    content_type: str | None,
    mapping: Mapping[str, str] | None,
    limits: SheetLimits,
) -> JobSheet:
    """Read a job sheet and validate each row as a domain `Job` (runs in the child).

    Bad rows are returned as problems, never raised: whether they stop the import is the
    caller's choice. Raises a `TableError` for a file that cannot be read at all.
    """
    deadline = Deadline(limits.budget_s)
    sheet = parse_job_sheet(
        data,
        filename_or_content_type=content_type,
        mapping=mapping,
        skip_invalid=True,
        limits=limits,
        deadline=deadline,
    )
    problems = list(sheet.problems)
    jobs: list[Job] = []
    rows: list[int] = []
    seen: dict[str, int] = {}
    for count, row in enumerate(sheet.rows):
        if count % 256 == 0:
            deadline.check()
        try:
            job = to_job(row)
        except InvalidInput as exc:
            problems.extend(Problem(row.source_row, f, why) for f, why in exc.fields.items())
            continue
        if job.id in seen:
            why = f"id {job.id!r} is also used on row {seen[job.id]}"
            problems.append(Problem(row.source_row, "id", why))
            continue
        seen[job.id] = row.source_row
        jobs.append(job)
        rows.append(row.source_row)
    problems.sort(key=lambda p: p.row)
    return JobSheet(
        tuple(jobs), tuple(problems), sheet.repairs, sheet.merged, sheet.warnings, tuple(rows)
    )


# What crosses the pipe: a "head" (the result without its rows) and the rows as plain tuples,
# sent in chunks. Unpickling 100,000 frozen dataclasses in one go held the GIL for 0.8 s and
# stalled the loop; plain tuples in chunks of _CHUNK unpickle in a few ms each, and the
# dataclasses are rebuilt in the waiting thread, in Python code that yields the GIL.
_CHUNK = 2000
_JOB_TUPLE = operator.attrgetter(*(f.name for f in dataclasses.fields(Job)))
_OUTCOME_TUPLE = operator.attrgetter(*(f.name for f in dataclasses.fields(OutcomeRow)))


def _jobs_in_child(*args: Any) -> tuple[JobSheet, list[tuple[Any, ...]]]:
    sheet = read_job_sheet(*args)
    return dataclasses.replace(sheet, jobs=()), [_JOB_TUPLE(job) for job in sheet.jobs]


def _jobs_rebuilt(head: JobSheet, rows: list[tuple[Any, ...]]) -> JobSheet:
    return dataclasses.replace(head, jobs=tuple(Job(*row) for row in rows))


def _outcomes_in_child(
    data: bytes, content_type: str | None, mapping: Mapping[str, str] | None, limits: SheetLimits
) -> tuple[OutcomeImport, list[tuple[Any, ...]]]:
    sheet = parse_outcome_sheet(
        data, filename_or_content_type=content_type, mapping=mapping, limits=limits
    )
    return dataclasses.replace(sheet, rows=()), [_OUTCOME_TUPLE(row) for row in sheet.rows]


def _outcomes_rebuilt(head: OutcomeImport, rows: list[tuple[Any, ...]]) -> OutcomeImport:
    return dataclasses.replace(head, rows=tuple(OutcomeRow(*row) for row in rows))


def _in_child(
    fn: Callable[..., tuple[H, list[tuple[Any, ...]]]],
    args: tuple[Any, ...],
    rebuild: Callable[[H, list[tuple[Any, ...]]], T],
    timeout_s: float,
    cancelled: threading.Event,
) -> tuple[bool, Any]:
    """Run ``fn(*args)`` in a fresh child; (True, its result rebuilt) or (False, the exception
    to raise).

    Blocking: called in a thread. The child is killed if it has not finished in ``timeout_s``
    or once ``cancelled`` is set (checked every ``_POLL_S``).
    """
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(
        target=_child_main, args=(sender, fn, args), name="liveevent-sheet", daemon=True
    )
    end = time.monotonic() + timeout_s
    rows: list[tuple[Any, ...]] = []
    try:
        child.start()
        sender.close()  # the child holds its own copy; EOF here then means it died
        while True:
            left = end - time.monotonic()
            if not receiver.poll(max(0.0, min(left, _POLL_S))):
                if cancelled.is_set():
                    return False, asyncio.CancelledError()
                if left > _POLL_S:
                    continue
                return False, TableTimeoutError(
                    f"the file took more than {timeout_s - _GRACE_S:g} s to read "
                    "(sheet_read_budget_s); split it into smaller files"
                )
            kind, value = receiver.recv()
            if kind == "rows":
                rows.extend(value)
            elif kind == "done":
                return True, rebuild(value, rows)
            else:
                return False, value
    except EOFError:
        # Killed from outside (the kernel's OOM killer, say): the file is the likely cause.
        return False, UnreadableTableError("reading the file stopped unexpectedly; nothing changed")
    finally:
        receiver.close()
        if child.pid is not None:  # started
            child.kill()  # a no-op once it has exited
            child.join()


def _child_main(
    sender: Connection,
    fn: Callable[..., tuple[Any, list[tuple[Any, ...]]]],
    args: tuple[Any, ...],
) -> None:
    try:
        head, rows = fn(*args)
    except TableError as exc:
        sender.send(("error", exc))
    except Exception as exc:  # a bug: report its kind, not a traceback that may hold cells
        sender.send(("error", RuntimeError(f"reading the sheet failed: {type(exc).__name__}")))
    else:
        for start in range(0, len(rows), _CHUNK):
            sender.send(("rows", rows[start : start + _CHUNK]))
        sender.send(("done", head))
    sender.close()
