"""``--workers N``: N processes serving one port, each a node of its own.

Theory of operation. Every worker binds the same address with SO_REUSEPORT and the kernel
spreads new connections over them. A worker is a complete node (its own hub, viewer count
under its own node id, ingest and metrics), exactly like a node on another machine: they share
nothing but the store, so nothing here coordinates them. This parent process only supervises:
it starts the embedded store when none is configured (so that all workers use one), starts the
workers, starts again one that dies (its viewers reconnect to the others meanwhile), and on
SIGTERM/SIGINT passes SIGTERM on and waits for every worker to drain before it exits.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import secrets
import signal
import time
from dataclasses import replace
from multiprocessing.process import BaseProcess
from types import FrameType

from liveevent.config import Secret, Settings
from liveevent.logs import configure_logging
from liveevent.store.embedded import EmbeddedStore
from liveevent.store.opening import uses_embedded

log = logging.getLogger(__name__)

RESTART_PAUSE_S = 1.0
DRAIN_TIMEOUT_S = 60.0


def run_workers(settings: Settings) -> int:
    """Run ``settings.workers`` worker processes until SIGTERM/SIGINT; returns the exit code."""
    embedded: EmbeddedStore | None = None
    if uses_embedded(settings):
        embedded = EmbeddedStore(settings.data_dir)
        settings = replace(settings, redis_url=Secret(asyncio.run(embedded.start())))
    base = settings.node_id or secrets.token_hex(3)
    # spawn, not fork: each worker starts a clean interpreter with no inherited event loop,
    # sockets or threads.
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int) -> BaseProcess:
        worker = replace(settings, node_id=f"{base}-{index}")
        process = context.Process(target=_worker_main, args=(worker,), name=f"worker-{index}")
        process.start()
        return process

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in workers.values():
            if process.is_alive():
                _terminate(process)

    workers = {index: start(index) for index in range(settings.workers)}
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while not stopping:
            sentinels = [p.sentinel for p in workers.values()]
            multiprocessing.connection.wait(sentinels, timeout=1.0)
            for index, process in list(workers.items()):
                if process.is_alive() or stopping:
                    continue
                log.warning("worker %d exited with %s; starting it again", index, process.exitcode)
                time.sleep(RESTART_PAUSE_S)
                if not stopping:
                    workers[index] = start(index)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        for process in workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        failed = [p.exitcode for p in workers.values() if p.exitcode not in (0, None)]
        return 1 if failed else 0
    finally:
        if embedded is not None:
            asyncio.run(embedded.stop())


def _terminate(process: BaseProcess) -> None:
    try:
        process.terminate()  # SIGTERM: the worker drains like a single node does
    except ProcessLookupError:
        pass


def _worker_main(settings: Settings) -> None:
    # Runs in the new process. A terminal's Ctrl-C reaches the whole process group; until the
    # server installs its own handlers (which drain), it must not kill a worker half-started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(log_format=settings.log_format, verbose=False, node=settings.node_id)
    from liveevent.serve import run_one

    raise SystemExit(run_one(settings))
