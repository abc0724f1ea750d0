"""Rate limits and connection caps kept by this process.

Fixed windows of ``rate_window_s``: cheap, and good enough to stop a script hammering the apply
path. Per-viewer limits live on the viewer; per-IP limits and socket caps here.
"""

from __future__ import annotations

import time
from collections import defaultdict

from liveevent.config import Settings
from liveevent.errors import RateLimited


class Limits:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sockets_per_ip: dict[str, int] = defaultdict(int)
        self._window = 0
        self._applies_per_ip: dict[str, int] = defaultdict(int)

    def check_apply_ip(self, ip: str) -> None:
        """Count one apply from ``ip``; raise ``RateLimited`` past the limit (0 = no limit)."""
        limit = self.settings.apply_rate_per_ip
        if limit <= 0:
            return
        window = int(time.monotonic() // self.settings.rate_window_s)
        if window != self._window:
            self._window = window
            self._applies_per_ip.clear()
        self._applies_per_ip[ip] += 1
        if self._applies_per_ip[ip] > limit:
            raise RateLimited("too many applications from this address; wait a minute")

    def check_apply_viewer(self, history: list[float]) -> None:
        """Per-viewer limit over a sliding window; ``history`` is the viewer's own list."""
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
        if self.sockets_per_ip[ip] >= self.settings.max_sockets_per_ip:
            return False
        self.sockets_per_ip[ip] += 1
        return True

    def close_socket(self, ip: str) -> None:
        self.sockets_per_ip[ip] -= 1
        if self.sockets_per_ip[ip] <= 0:
            del self.sockets_per_ip[ip]
