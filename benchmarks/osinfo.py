"""What the harness asks of the OS: CPU pinning, a process's RSS and CPU time, the machine.

Linux only (``/proc``, ``taskset``); the benchmarks are about one Linux box's loopback.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Layout:
    """Which CPUs the server under test and the load generator may use (``None``: unpinned)."""

    server_cpus: list[int] | None
    loadgen_cpus: list[int] | None
    # liveevent's embedded store moved here after start (None: it stays with the server).
    store_cpus: list[int] | None = None

    def describe(self) -> str:
        if self.server_cpus is None and self.loadgen_cpus is None:
            return "unpinned (fewer than 2 CPUs or taskset missing)"
        text = (
            f"server (and its children) on CPU {_cpu_list(self.server_cpus)}, "
            f"load generator (controller + workers) on CPU {_cpu_list(self.loadgen_cpus)}"
        )
        if self.store_cpus is not None:
            text += f"; liveevent's embedded store moved to CPU {_cpu_list(self.store_cpus)}"
        return text


def _cpu_list(cpus: list[int] | None) -> str:
    return "any" if cpus is None else ",".join(map(str, cpus))


def parse_cpus(text: str) -> list[int] | None:
    """Parse ``"0"`` or ``"0,1"`` or ``"0-1"``; ``""`` or ``"any"`` means unpinned."""
    if text in ("", "any"):
        return None
    cpus: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def default_layout() -> Layout:
    """Server on the first CPU, load generator on the second, so neither steals from the other.

    On a 2-core box this is the only split that keeps the generator's receive work off the
    server's core; both then run flat out only during the push itself.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or shutil.which("taskset") is None:
        return Layout(None, None)
    return Layout([cpus[0]], [cpus[1]])


def pinned(argv: list[str], cpus: list[int] | None) -> list[str]:
    """Prefix ``argv`` with ``taskset -c`` when ``cpus`` is given."""
    if cpus is None:
        return argv
    return ["taskset", "-c", ",".join(map(str, cpus)), *argv]


def pin_process(pid: int, cpus: list[int]) -> None:
    """Move every thread of a running process ``pid`` to ``cpus``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), cpus)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, their children, ...), from ``/proc``."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def pin_self(cpus: list[int] | None) -> None:
    if cpus is not None:
        os.sched_setaffinity(0, cpus)


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` from ``/proc/PID/status`` (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def server_pids(pid: int) -> list[int]:
    """``pid`` and the processes below it (``--workers N``), its embedded store left out."""
    store = store_pid(pid)
    return [each for each in (pid, *descendants(pid)) if each != store]


def server_rss_kib(pid: int) -> int:
    """VmRSS of the server's processes (the embedded store holds no per-viewer state; what a
    viewer costs is in the workers)."""
    total = 0
    for each in server_pids(pid):
        with contextlib.suppress(OSError, RuntimeError):
            total += rss_kib(each)
    return total


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (not its children) from ``/proc/PID/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the parenthesised command name, which may itself contain spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of ``pid`` and of each process below it, by pid (gone ones are skipped)."""
    found = {}
    for each in (pid, *descendants(pid)):
        with contextlib.suppress(OSError):
            found[each] = cpu_seconds_of(each)
    return found


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds of the server's processes (its workers too), its embedded store left out."""
    total = 0.0
    for each in server_pids(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds_of(each)
    return total


def store_pid(pid: int) -> int | None:
    """The embedded Valkey below ``pid``, if any."""
    for each in descendants(pid):
        with contextlib.suppress(OSError):
            if b"valkey-server" in Path(f"/proc/{each}/cmdline").read_bytes():
                return each
    return None


def machine() -> str:
    """One line naming the CPU model, core count, kernel and Python."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def revision(path: str = "liveevent") -> str:
    """The last commit touching ``path`` in this checkout, and whether it has local edits.

    The figures describe the code that ran, which is the working tree, not only a commit.
    """

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip()

    commit = git("log", "-1", "--format=%h %cd", "--date=format:%H:%M", "--", path)
    if not commit:
        return "unknown (not a git checkout)"
    dirty = git("status", "--porcelain", "--", path)
    return f"{commit}{' + uncommitted edits' if dirty else ''}"
