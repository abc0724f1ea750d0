"""The servers under test, each behind one small adapter so the scenarios treat them alike.

A target starts its server pinned to the server CPUs, prepares whatever a push needs, pushes
a card (returning the key viewers will see in the frame) and stops its server, children
included. Peers push a ready-made card JSON through ``POST /push``; liveevent goes through its
real API (event, jobs, live, ``POST /api/events/{id}/cards``), so its figure includes the trip
through the timeline stream, as the issue asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import osinfo
from liveevent.store.embedded import free_port

HOST = "127.0.0.1"
NODE_PEER_DIR = osinfo.REPO_ROOT / "benchmarks" / "peers" / "node_ws"

# A realistic card: the same shape and size as liveevent's, so frame sizes match across targets.
_JOB = {
    "id": "job-1",
    "employer": "星辰科技有限公司",
    "title": "后端开发工程师（退役军人优先）",
    "openings": 3,
    "salary": "15-25K",
    "location": "上海市浦东新区",
}


class TargetError(Exception):
    """A target could not be started or prepared; the message says what it printed."""


@dataclass(frozen=True)
class ApplyRoute:
    """Where applies go: the viewer socket path, the HTTP path and the job to apply to."""

    ws_path: str
    http_path: str
    job_id: str


class Target:
    """Base adapter: a server process on loopback. Subclasses name the command and the API."""

    name = "target"
    viewer_path = "/ws/viewer"

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        self.extra_env = dict(extra_env or {})
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self._workdir = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        self._log = self._workdir / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ports(self) -> list[int]:
        """Where viewers connect; worker i uses ``ports[i % len(ports)]``."""
        return [self.port]

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise TargetError(f"{self.name} is not running")
        return self.proc.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(osinfo.REPO_ROOT), **self.extra_env}

    @property
    def workdir(self) -> Path:
        """The server's working directory (``python -m`` imports from it first)."""
        return osinfo.REPO_ROOT

    async def start(self, cpus: list[int] | None, session: aiohttp.ClientSession) -> None:
        """Start the server and wait until ``GET /healthz`` answers 200 (30 s at most)."""
        with self._log.open("wb") as log:
            # Its own session, so stop() can reach children (liveevent's embedded store) too.
            self.proc = await asyncio.create_subprocess_exec(
                *osinfo.pinned(self.command(), cpus),
                stdout=log,
                stderr=log,
                cwd=self.workdir,
                env=self.environment(),
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                break
            try:
                async with session.get(f"{self.base_url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        output = self.log_tail()  # before stop(), which removes the work dir and its log
        await self.stop()
        raise TargetError(f"{self.name} did not come up; its output:\n{output}")

    def pin_store(self, cpus: list[int] | None) -> None:
        """Move the server's own store process to ``cpus`` (peers have none)."""

    async def prepare(self, session: aiohttp.ClientSession, pushes: int) -> None:
        """Set up whatever ``push`` and viewers need."""

    async def before_push(self, session: aiohttp.ClientSession, seq: int) -> None:
        """Work a push needs that is not part of what is timed (a question asked before it is
        approved); nothing by default."""

    async def push(self, session: aiohttp.ClientSession, seq: int) -> str:
        """Push card ``seq``; return the key its frame carries (see ``viewers.card_key``)."""
        raise NotImplementedError

    def apply_route(self) -> ApplyRoute:
        raise TargetError(f"{self.name} does not take applications")

    async def count_applications(self, session: aiohttp.ClientSession) -> int | None:
        """How many applications the server holds, when it can say; None otherwise."""
        return None

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL the whole process group after 10 s; remove the work dir."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                pass
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group we created
            except ProcessLookupError:
                pass
            await proc.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"


class PeerTarget(Target):
    """A peer: ``POST /push`` with the card JSON; any path is a viewer socket."""

    viewer_path = "/ws/events/bench"

    async def push(self, session: aiohttp.ClientSession, seq: int) -> str:
        key = f"bench-{seq}"
        body = {
            "type": "card",
            "card": {"card_id": key, "job": _JOB, "pushed_at": time.time_ns() // 1_000_000},
            "cursor": f"{seq}-0",
        }
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        async with session.post(f"{self.base_url}/push", data=data) as resp:
            if resp.status != 200:
                raise TargetError(f"{self.name} push answered {resp.status}")
        return key


class FloorPeer(PeerTarget):
    """The Python floor: frame built once, written to every transport (``peers/floor.py``)."""

    name = "floor"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "benchmarks.peers.floor",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]

    def apply_route(self) -> ApplyRoute:
        return ApplyRoute(self.viewer_path, "/api/events/bench/applications", "job-1")


class NodePeer(PeerTarget):
    """Node.js ``ws`` with a plain ``client.send()`` loop (``peers/node_ws/server.js``)."""

    name = "node"

    @staticmethod
    def available() -> bool:
        return shutil.which("node") is not None and (NODE_PEER_DIR / "node_modules" / "ws").is_dir()

    def command(self) -> list[str]:
        return ["node", str(NODE_PEER_DIR / "server.js"), str(self.port), HOST]


class LiveEvent(Target):
    """liveevent itself, through its public API and its default embedded store."""

    name = "liveevent"
    _JOBS = 5

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(extra_env)
        self._admin = secrets.token_urlsafe(24)
        # Where its embedded store lives; a scenario may point it at a kept, filled one.
        self.data_dir = self._workdir / "data"
        self.staff_token = ""  # the prepared event's, for staff pages
        self._host_token = ""
        self._event_id = ""
        self._job_ids: list[str] = []

    @staticmethod
    def available() -> bool:
        cli = osinfo.REPO_ROOT / "liveevent" / "cli.py"
        return cli.is_file() and "serve" in cli.read_text(errors="replace")

    def command(self) -> list[str]:
        return self.command_for(self.port)

    def pin_store(self, cpus: list[int] | None) -> None:
        if cpus is None:
            return
        for pid in osinfo.descendants(self.pid):
            with contextlib.suppress(OSError):
                if b"valkey-server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    osinfo.pin_process(pid, cpus)
                    return
        raise TargetError("liveevent's embedded store process was not found to pin")

    def command_for(self, port: int) -> list[str]:
        args = ["serve", "--host", HOST, "--port", str(port), "--data-dir", str(self.data_dir)]
        if (osinfo.REPO_ROOT / "liveevent" / "__main__.py").is_file():
            return [sys.executable, "-m", "liveevent", *args]
        return [
            sys.executable,
            "-c",
            "import sys; from liveevent.cli import main; sys.exit(main(sys.argv[1:]))",
            *args,
        ]

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["LIVEEVENT_ADMIN_TOKEN"] = self._admin
        if "LIVEEVENT_REDIS_URL" not in self.extra_env:
            env.pop("LIVEEVENT_REDIS_URL", None)  # the embedded store, its default durability
        return env

    @property
    def viewer_path(self) -> str:  # type: ignore[override]
        return f"/ws/events/{self._event_id}"

    async def _call(
        self, session: aiohttp.ClientSession, method: str, path: str, token: str, body: object
    ) -> object:
        headers = {"Authorization": f"Bearer {token}"}
        async with session.request(
            method, self.base_url + path, json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status >= 300:
                raise TargetError(f"liveevent {method} {path} -> {resp.status}: {text[:300]}")
            return json.loads(text) if text else None

    async def prepare(self, session: aiohttp.ClientSession, pushes: int) -> None:
        event = _object(
            await self._call(
                session, "POST", "/api/events", self._admin, {"title": "基准测试招聘会"}
            )
        )
        self._event_id, self._host_token = str(event["id"]), str(event["host_token"])
        self.staff_token = str(event.get("staff_token", ""))
        # No ids: the server generates them in whatever shape it likes; we read them back.
        job = {k: v for k, v in _JOB.items() if k != "id"}
        jobs = [{**job, "title": f"{job['title']} {i}"} for i in range(self._JOBS)]
        await self._call(session, "POST", f"/api/events/{self._event_id}/jobs", self._admin, jobs)
        listed = _object(
            await self._call(
                session, "GET", f"/api/events/{self._event_id}/jobs", self._admin, None
            )
        )
        self._job_ids = [str(job["id"]) for job in listed["jobs"]]
        await self._call(
            session,
            "POST",
            f"/api/events/{self._event_id}/state",
            self._host_token,
            {"state": "live"},
        )

    async def push(self, session: aiohttp.ClientSession, seq: int) -> str:
        job_id = self._job_ids[seq % len(self._job_ids)]
        card = _object(
            await self._call(
                session,
                "POST",
                f"/api/events/{self._event_id}/cards",
                self._host_token,
                {"job_id": job_id},
            )
        )
        return str(card["card_id"])

    def apply_route(self) -> ApplyRoute:
        return ApplyRoute(
            self.viewer_path, f"/api/events/{self._event_id}/applications", self._job_ids[0]
        )

    def event(self) -> tuple[str, str, list[str]]:
        """The prepared event: (event id, host token, job ids), for scenarios of their own."""
        return self._event_id, self._host_token, list(self._job_ids)

    async def count_applications(self, session: aiohttp.ClientSession) -> int | None:
        stats = _object(
            await self._call(
                session, "GET", f"/api/events/{self._event_id}/stats", self._host_token, None
            )
        )
        return int(stats["applications"])


class LiveEventQuestions(LiveEvent):
    """liveevent publishing approved questions instead of cards (issue 17 part 2): one card is
    put on screen before the viewers join; for each "push" a question about it is asked over
    HTTP (untimed, ``before_push``) and the timed call is the host's approval, which reaches
    every viewer as a ``question`` timeline message, keyed by its question id."""

    name = "liveevent-questions"

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(extra_env)
        self._card_id = ""
        self._asked = ""

    async def prepare(self, session: aiohttp.ClientSession, pushes: int) -> None:
        await super().prepare(session, pushes)
        self._card_id = await LiveEvent.push(self, session, 0)

    async def before_push(self, session: aiohttp.ClientSession, seq: int) -> None:
        body = {"card_id": self._card_id, "name": "张三", "text": f"包住吗？第{seq}问"}
        asked = _object(
            await self._call(session, "POST", f"/api/events/{self._event_id}/questions", "", body)
        )
        self._asked = str(asked["question_id"])

    async def push(self, session: aiohttp.ClientSession, seq: int) -> str:
        await self._call(
            session,
            "POST",
            f"/api/events/{self._event_id}/questions/{self._asked}",
            self._host_token,
            {"action": "approve"},
        )
        return self._asked


def _object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TargetError(f"liveevent answered {body!r} where the contract has an object")
    return body


class LiveEventNodes(LiveEvent):
    """Three liveevent nodes sharing one store (issue 7's cross-node push).

    The first node starts the embedded store; the others are started on the same data dir and
    re-attach to it. Viewers are spread over the nodes by worker (run with ``--workers 3``);
    pushes go through the first node, so two thirds of the viewers get the card through
    another node's tail of the timeline stream.
    """

    name = "liveevent3"
    NODES = 3

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(extra_env)
        self._more_ports = [free_port() for _ in range(self.NODES - 1)]
        self._more: list[asyncio.subprocess.Process] = []

    @property
    def ports(self) -> list[int]:
        return [self.port, *self._more_ports]

    async def start(self, cpus: list[int] | None, session: aiohttp.ClientSession) -> None:
        await super().start(cpus, session)
        for port in self._more_ports:
            with (self._workdir / f"server-{port}.log").open("wb") as log:
                proc = await asyncio.create_subprocess_exec(
                    *osinfo.pinned(self.command_for(port), cpus),
                    stdout=log,
                    stderr=log,
                    cwd=osinfo.REPO_ROOT,
                    env=self.environment(),
                    start_new_session=True,
                )
            self._more.append(proc)
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with session.get(f"http://{HOST}:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    await self.stop()
                    raise TargetError(f"node on port {port} did not come up")
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        for proc in self._more:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self._more:
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        self._more.clear()
        await super().stop()


class LiveEventBase(LiveEvent):
    """liveevent as it was at an earlier commit, beside today's in the same run.

    ``LIVEEVENT_BASE_DIR`` names a checkout of that commit (``git worktree add --detach DIR
    REV``); its package is put first on ``PYTHONPATH``, so the same interpreter and
    dependencies run the older code. This is how a fix is shown not to cost anything: the
    before and after figures come from one run, interleaved, on the same noisy machine.
    """

    name = "liveevent-base"

    @staticmethod
    def available() -> bool:
        base = os.environ.get("LIVEEVENT_BASE_DIR", "")
        return bool(base) and (Path(base) / "liveevent" / "cli.py").is_file()

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["PYTHONPATH"] = str(self.workdir)
        return env

    @property
    def workdir(self) -> Path:
        return Path(os.environ["LIVEEVENT_BASE_DIR"]).resolve()


class LiveEventHires(LiveEvent):
    """liveevent, where each "push" is a hire instead of a card (issue 16, part 3).

    ``prepare`` also stores one application per push for the first job (through the public
    apply call, as viewers make them); ``push`` records one of them as hired (``PATCH``, the
    staff's status change), which appends the job's new hire count to the timeline in the same
    step, and returns the key of the ``openings`` message every viewer then gets
    (``viewers.card_key``). Beside ``liveevent`` and ``floor`` in one run, it shows whether a
    positions-remaining update reaches the viewers as fast as a card push.
    """

    name = "liveevent-hires"

    def __init__(self, extra_env: Mapping[str, str] | None = None) -> None:
        super().__init__(extra_env)
        self._application_ids: list[str] = []

    async def prepare(self, session: aiohttp.ClientSession, pushes: int) -> None:
        await super().prepare(session, pushes)
        self._application_ids = []
        for n in range(pushes):
            applied = _object(
                await self._call(
                    session,
                    "POST",
                    f"/api/events/{self._event_id}/applications",
                    "",
                    {
                        "job_id": self._job_ids[0],
                        "name": "基准",
                        "phone": f"1390{n:07d}",
                        "consent": True,
                    },
                )
            )
            self._application_ids.append(str(applied["application_id"]))

    async def push(self, session: aiohttp.ClientSession, seq: int) -> str:
        await self._call(
            session,
            "PATCH",
            f"/api/events/{self._event_id}/applications/{self._application_ids[seq]}",
            self.staff_token,  # staff record hires
            {"status": "hired"},
        )
        return f"openings:{self._job_ids[0]}:{seq + 1}"


KINDS: dict[str, type[Target]] = {
    "floor": FloorPeer,
    "node": NodePeer,
    "liveevent": LiveEvent,
    "liveevent-questions": LiveEventQuestions,
    "liveevent3": LiveEventNodes,
    "liveevent-base": LiveEventBase,
    "liveevent-hires": LiveEventHires,
}


def check_name(name: str) -> None:
    """Raise ``TargetError`` unless ``name`` is a known target."""
    if name not in KINDS:
        raise TargetError(f"unknown target {name!r}; choose from {', '.join(KINDS)}")


def make(name: str, extra_env: Mapping[str, str] | None = None) -> Target:
    """Return a fresh adapter for ``floor``, ``node`` or ``liveevent``.

    ``extra_env`` is added to the server's environment (liveevent reads ``LIVEEVENT_*``).
    """
    check_name(name)
    return KINDS[name](extra_env)


def available(name: str) -> bool:
    """Whether this machine can run ``name`` (node needs its node_modules; liveevent its CLI)."""
    if name == "node":
        return NodePeer.available()
    if name in ("liveevent", "liveevent3", "liveevent-hires", "liveevent-questions"):
        return LiveEvent.available()
    if name == "liveevent-base":
        return LiveEventBase.available()
    return True
