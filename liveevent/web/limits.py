"""Rate limits and connection caps kept by this process.

The per-address apply limit is not here: it must hold across every node, so the store counts
it inside the apply itself (``scripts.APPLY``). What stays local is what is local by nature:
the per-viewer limit (one connection lives on one node) and the socket caps (a node's capacity;
a per-address cap of ``max_sockets_per_ip`` per node allows N times that behind N nodes).
"""

from __future__ import annotations

import time
from collections import defaultdict

from liveevent.config import Settings
from liveevent.errors import RateLimited


class Limits:
    """This node's per-viewer apply limit and per-address socket cap (module docstring).

    ``sockets_per_ip`` maps an address key (``proxies.client_ip``) to its open sockets.
    Constructing it raises nothing.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sockets_per_ip: dict[str, int] = defaultdict(int)

    def check_apply_viewer(self, history: list[float]) -> None:
        """Per-viewer limit over a sliding window; ``history`` is the viewer's own list.

        ``apply_rate_per_viewer`` applies per ``rate_window_s`` seconds (0: no limit);
        ``history`` holds ``time.monotonic()`` seconds and is updated in place. Returns None;
        raises ``RateLimited`` (nothing recorded) when the viewer is at its limit.
        """
        limit = self.settings.apply_rate_per_viewer
        if limit <= 0:
            return
        now = time.monotonic()
        cutoff = now - self.settings.rate_window_s
        while history and history[0] < cutoff:
            history.pop(0)
        if len(history) >= limit:
            raise RateLimited("too many applications from this connection; wait a minute")
        history.append(now)

    def open_socket(self, ip: str) -> bool:
        """Count one more socket of ``ip``; False (nothing counted) at ``max_sockets_per_ip``.

        Raises nothing. Every True must be matched by one ``close_socket``.
        """
        if self.sockets_per_ip[ip] >= self.settings.max_sockets_per_ip:
            return False
        self.sockets_per_ip[ip] += 1
        return True

    def close_socket(self, ip: str) -> None:
        """One socket of ``ip`` closed. Returns None; raises nothing."""
        self.sockets_per_ip[ip] -= 1
        if self.sockets_per_ip[ip] <= 0:
            del self.sockets_per_ip[ip]
