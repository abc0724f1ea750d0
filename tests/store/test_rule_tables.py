"""One table of cases per rule, run through the domain, the Lua scripts and the rebuild.

The domain states each rule once (``domain/screen.py``, ``domain.applications.hire_delta``);
the store's scripts must apply the same rules atomically with their writes
(``store/scripts.py``: TIMELINE, STATUS, STATUS_MANY), and ``store/rebuild.py`` derives the
same result again from the streams. Each case below runs through all of them, on a real store,
and they must agree: a change to one that is not made to the others fails here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import pytest

from liveevent.domain.applications import ApplyRequest, Status, hire_delta, hires
from liveevent.domain.cards import TimelineKind
from liveevent.domain.events import EventState, LiveEvent
from liveevent.domain.jobs import Job
from liveevent.domain.screen import Screen
from liveevent.errors import Conflict
from liveevent.store import keys, scripts
from liveevent.store.applications import ApplicationLog, Applied, PendingApply
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.rebuild import derive

LIVE, ENDED, SCHEDULED = EventState.LIVE, EventState.ENDED, EventState.SCHEDULED

# -- the screen: cards only while live, the card off at the end, withdraw what is on screen ---


@dataclass(frozen=True)
class ScreenCase:
    """From ``state`` with card "c0" on screen or not (``card``), do ``op`` (``"push"``,
    ``"withdraw"`` or a target state); ``refused`` when it must raise ``Conflict``, else the
    state and card on screen after it."""

    state: EventState
    card: bool
    op: str | EventState
    refused: bool
    after: tuple[EventState, str | None] | None = None


SCREEN = {
    "push while scheduled": ScreenCase(SCHEDULED, False, "push", True),
    "push while live": ScreenCase(LIVE, False, "push", False, (LIVE, "c1")),
    "push over a card": ScreenCase(LIVE, True, "push", False, (LIVE, "c1")),
    "push once ended": ScreenCase(ENDED, False, "push", True),
    "withdraw the card": ScreenCase(LIVE, True, "withdraw", False, (LIVE, None)),
    "withdraw with none on screen": ScreenCase(LIVE, False, "withdraw", True),
    "withdraw while scheduled": ScreenCase(SCHEDULED, False, "withdraw", True),
    "go live": ScreenCase(SCHEDULED, False, LIVE, False, (LIVE, None)),
    "end with a card on screen": ScreenCase(LIVE, True, ENDED, False, (ENDED, None)),
    "end with none": ScreenCase(LIVE, False, ENDED, False, (ENDED, None)),
    "end before going live": ScreenCase(SCHEDULED, False, ENDED, False, (ENDED, None)),
    "live again": ScreenCase(LIVE, True, LIVE, True),
    "live once ended": ScreenCase(ENDED, False, LIVE, True),
    "end twice": ScreenCase(ENDED, False, ENDED, True),
    "back to scheduled": ScreenCase(LIVE, False, SCHEDULED, True),
}


def _domain_screen(case: ScreenCase) -> tuple[EventState, str | None] | None:
    screen = Screen(case.state, "c0" if case.card else None)
    try:
        if case.op == "push":
            screen = screen.push("c1")
        elif case.op == "withdraw":
            screen = screen.withdraw("c0")
        else:
            screen = screen.move(EventState(case.op))
    except Conflict:
        return None
    return screen.state, screen.card_id


async def _store_screen(
    events: EventStore, event_id: str, case: ScreenCase
) -> tuple[EventState, str | None] | None:
    await events.create_event(LiveEvent(event_id, "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs(event_id, [Job("j1", "A", "B")])
    # Bring the event to the case's start through the store itself.
    if case.state is not SCHEDULED:
        await events.set_state(event_id, LIVE, now=1)
    if case.card:
        await events.push_card(event_id, "j1", card_id="c0", pushed_at=2)
    if case.state is ENDED:
        await events.set_state(event_id, ENDED, now=3)
    try:
        if case.op == "push":
            await events.push_card(event_id, "j1", card_id="c1", pushed_at=4)
        elif case.op == "withdraw":
            await events.withdraw_card(event_id, now=4)
        else:
            await events.set_state(event_id, EventState(case.op), now=4)
    except Conflict:
        return None
    view = await events.event_view(event_id)
    return view.state, view.card.card_id if view.card else None


@pytest.mark.parametrize("name", list(SCREEN))
async def test_the_screen_rules_agree(conn: StoreConnection, name: str) -> None:
    case = SCREEN[name]
    expected = None if case.refused else case.after
    assert _domain_screen(case) == expected, "domain.screen"
    events = EventStore(conn)
    assert await _store_screen(events, "e1", case) == expected, "the TIMELINE script"
    # The rebuild folds the timeline the store kept into the state and card the store shows.
    view = await events.event_view("e1")
    meta = (await derive(conn, "e1")).meta
    assert (meta["state"], meta["card_id"] or None) == (
        view.state,
        view.card.card_id if view.card else None,
    ), "store/rebuild.py"


# -- hire counts follow status changes ---------------------------------------------------------

# Each case: moves (application index, target status), in order. Application 0 applied for
# job j1, application 1 for job j2. A move to the status it already has is refused by the
# single change (``check_transition``) and left alone by the bulk one: either way it moves
# no count.
H, R, A = Status.HIRED, Status.REJECTED, Status.APPLIED
HIRES: dict[str, list[tuple[int, Status]]] = {
    "nothing": [],
    "one hire": [(0, H)],
    "hired then rejected": [(0, H), (0, R)],
    "hired twice": [(0, H), (0, H)],
    "two jobs, one back to applied": [(0, H), (1, H), (0, A)],
    "the whole road and back": [
        (0, Status.CONTACTED),
        (0, Status.INTERVIEWED),
        (0, Status.OFFERED),
        (0, H),
        (0, R),
        (0, H),
    ],
    "applied to applied": [(0, A)],
    "rejected, reopened, hired": [(1, R), (1, A), (1, H)],
}


def _domain_hires(moves: list[tuple[int, Status]]) -> tuple[int, list[int], list[Status]]:
    """(hires, hires per application's job, final statuses) by ``hire_delta``."""
    current = [A, A]
    per_job = [0, 0]
    total = 0
    for app, target in moves:
        delta = hire_delta(current[app], target)
        total += delta
        per_job[app] += delta
        current[app] = target
    assert total == hires(current)  # the moves add up to the count of the hired
    return total, per_job, current


async def _applied(conn: StoreConnection) -> list[str]:
    events, log = EventStore(conn), ApplicationLog(conn)
    await events.create_event(LiveEvent("e1", "t", None, None, 0), {"host": "h"})
    await events.upsert_jobs("e1", [Job("j1", "A", "B"), Job("j2", "C", "D")])
    ids = []
    for job, phone in (("j1", "13800000001"), ("j2", "13800000002")):
        request = ApplyRequest(
            job_id=job, name="n", phone=phone, idempotency_key=None, consent=True
        )
        [answer] = await log.apply_batch([PendingApply("e1", request, "http", 1)])
        assert isinstance(answer, Applied)
        ids.append(answer.application_id)
    return ids


async def _counts(conn: StoreConnection) -> tuple[int, list[int], list[Status]]:
    log = ApplicationLog(conn)
    counters = await log.counters("e1")
    per_job = [counters.get(keys.job_hires(job), 0) for job in ("j1", "j2")]
    statuses = [await log.status_of("e1", app) for app in ("1", "2")]
    return counters.get(keys.Counter.HIRES, 0), per_job, statuses


@pytest.mark.parametrize("name", list(HIRES))
@pytest.mark.parametrize("path", ["single", "bulk"])
async def test_hire_counts_agree(conn: StoreConnection, name: str, path: str) -> None:
    moves = HIRES[name]
    expected = _domain_hires(moves)
    ids = await _applied(conn)
    log = ApplicationLog(conn)
    for app, target in moves:
        if path == "bulk":  # STATUS_MANY: the script alone decides, no check before it
            await log.change_status_many("e1", [ids[app]], target, by="t", now=2)
            continue
        try:  # STATUS: check_transition, then the script
            await log.change_status("e1", ids[app], target, by="t", now=2)
        except Conflict:
            assert (await log.status_of("e1", ids[app])) is target
    assert await _counts(conn) == expected, f"the {path} status script"
    derived = await derive(conn, "e1")
    rebuilt = (
        derived.counters[keys.Counter.HIRES],
        [derived.counters[keys.job_hires(job)] for job in ("j1", "j2")],
    )
    assert rebuilt == expected[:2], "store/rebuild.py"


# -- the scripts' literal texts are the domain's enum values ----------------------------------

# Lua variables that hold a status, an event state or a timeline op, in the scripts that
# compare them; every literal they are compared with (or default to) must be a value of the
# enum, so renaming a value in the domain cannot leave a script comparing with the old text.
_COMPARED: dict[str, dict[str, type[enum.StrEnum]]] = {
    "STATUS": {"to": Status, "current": Status, "ARGV[3]": Status},
    "STATUS_MANY": {"to": Status, "current": Status},
    "TIMELINE": {"state": EventState, "ARGV[6]": EventState, "op": TimelineKind},
}


def _compared_literals(script: str, variable: str) -> set[str]:
    name = re.escape(variable)
    found = set(re.findall(rf"(?<![\w.]){name}\s*[~=]=\s*'([^']*)'", script))
    found |= set(re.findall(rf"'([^']*)'\s*[~=]=\s*{name}(?![\w\[])", script))
    # ``local current = ... or 'applied'``: the status an application has without an entry.
    found |= set(re.findall(rf"local {name} = [^\n]* or '([^']*)'", script))
    return found


@pytest.mark.parametrize("script_name", list(_COMPARED))
def test_the_scripts_compare_with_enum_values(script_name: str) -> None:
    script: str = getattr(scripts, script_name)
    seen = 0
    for variable, kind in _COMPARED[script_name].items():
        literals = _compared_literals(script, variable)
        values = {str(member) for member in kind}
        assert literals <= values, f"{script_name}: {variable} compared with {literals - values}"
        seen += len(literals)
    assert seen > 0, f"{script_name}: the check found nothing to check"


def test_every_word_in_the_rule_scripts_is_known() -> None:
    """Every lowercase word literal of the rule scripts is an enum value, a counter or hash
    field, or one of the scripts' own reply texts: a new literal has to be placed here."""
    known = {str(m) for e in (Status, EventState, TimelineKind, keys.Counter) for m in e}
    known |= {"app:", "hire:", "ok", "noapp", "changed", "noevent", "nojob", "notlive"}
    known |= {"card_id", "cursor", "d", "EX"}  # meta hash fields, the stream entry field
    known |= {":bystatus:", ":"}  # index key names (``EventKeys.by_status``)
    for name in ("STATUS", "STATUS_MANY", "TIMELINE"):
        script: str = getattr(scripts, name)
        words = {w for w in re.findall(r"'([^']*)'", script) if re.fullmatch(r"[a-z_:]+", w)}
        assert words <= known, f"{name}: unknown literal(s) {words - known}"


def test_the_literal_check_can_fail() -> None:
    drifted = "if to == 'hire' then end\nlocal current = x or 'applied'"
    assert _compared_literals(drifted, "to") == {"hire"}
    assert _compared_literals(drifted, "current") == {"applied"}
