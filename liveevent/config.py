"""Settings, built once at start and passed down.

Precedence: command-line flags > environment (``LIVEEVENT_*``) > the TOML file > defaults.
Secrets are wrapped in ``Secret`` so they never show up in a repr or a log line.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liveevent.domain.notices import ReminderOffset, parse_offsets
from liveevent.errors import InvalidInput


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    # server
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    data_dir: Path = Path("data")
    workers: int = 1
    # Connections the kernel queues before they are accepted: a broadcast's start brings
    # thousands of phones within seconds, and the default 128 dropped some of their SYNs
    # (a 1 s, then 3 s retransmit). The kernel caps it at net.core.somaxconn.
    listen_backlog: int = 4096
    node_id: str = ""
    log_format: str = "text"  # or "json": one object a line (liveevent/logs.py)
    # store
    redis_url: Secret | None = None
    # Seed nodes of a Redis Cluster ("host:port", ...): selects the cluster store.
    redis_cluster_nodes: tuple[str, ...] = ()
    key_prefix: str = "le"
    store_timeout_s: float = 3.0
    waitaof_timeout_ms: int = 2000
    max_apply_batch: int = 2048
    # security
    admin_token: Secret | None = None
    allowed_origins: tuple[str, ...] = ()
    # Proxies whose forwarding header names the client (addresses or CIDRs; web/proxies.py).
    trusted_proxies: tuple[str, ...] = ()
    forwarded_header: str = "x-forwarded-for"  # or "forwarded" (RFC 7239): what they write
    # limits
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    max_message_bytes: int = 64 * 1024
    max_viewers: int = 20_000
    max_sockets_per_ip: int = 2000
    # Connections from one address that have not yet sent a whole request head (slow clients).
    max_pending_per_ip: int = 256
    apply_rate_per_viewer: int = 10
    # A ceiling, not the main rule: hundreds of real phones share one carrier NAT address.
    apply_rate_per_ip: int = 3000
    # A venue's station applies for many people from one address: it is not held to the
    # per-address limit but to its own, per station (venue), across nodes.
    station_apply_rate: int = 300
    # An employer's status changes (intents, outcomes) per rate_window_s, all its tokens
    # together, across nodes: each move into or out of "hired" reaches every viewer's phone
    # (positions remaining), so a looping page or a hostile token must not flood them.
    employer_status_rate: int = 120
    rate_window_s: int = 60
    write_buffer_limit_bytes: int = 256 * 1024
    # Job and outcome sheets (liveevent/tables/sheet.py SheetLimits): an XLSX's decompressed
    # size, rows read (blank ones too), the right-most column with a value, and the wall-clock
    # budget of one read (done in a child process, off the loop).
    max_sheet_unzipped_bytes: int = 128 * 1024 * 1024
    max_sheet_rows: int = 100_000
    max_sheet_columns: int = 256
    sheet_read_budget_s: float = 120.0
    # Every socket's (viewer, host, staff) message budget, a token bucket: it refills at
    # ``socket_messages_per_s`` and holds at most ``socket_message_burst``; a socket that
    # sends past it is closed with 1008. 0 messages/s: no budget (load tests only).
    socket_messages_per_s: float = 5.0
    socket_message_burst: int = 50
    # After a socket from an address is closed for flooding, that address's next sockets wait
    # this long before their upgrade (delayed, never refused: carrier NAT). 0: no wait.
    flood_cooldown_s: float = 1.0
    # timing
    # A connection must send its first request head within this, and may idle between
    # requests (keep-alive) for idle_timeout_s, or it is closed.
    header_timeout_s: float = 10.0
    idle_timeout_s: float = 75.0
    # A request body read by the server (JSON, a CSV sheet) must arrive whole within this.
    body_timeout_s: float = 60.0
    ping_interval_s: float = 20.0
    viewers_interval_s: float = 5.0
    node_ttl_s: float = 15.0
    # garbage collection (liveevent/web/gcpolicy.py): full collections wait until no push has
    # been fanned out for gc_quiet_s (0: CPython's own policy), run at most once per
    # gc_full_interval_s, and at the latest gc_full_max_wait_s after the last one.
    gc_quiet_s: float = 2.0
    gc_full_interval_s: float = 60.0
    gc_full_max_wait_s: float = 600.0
    # privacy
    retention_days: int | None = None
    # exports: the event's time zone (IANA name), for the times people read in exported files
    time_zone: str = "Asia/Shanghai"
    # sign-ups and the notifier (issue 17; liveevent/web/notifier.py, docs/api.md "Sign-ups")
    # Sign-ups from one address per rate_window_s, across nodes (carrier NAT: a ceiling).
    signup_rate_per_ip: int = 600
    # The organiser's webhook (SMS gateway, work-chat bot); unset: notices wait in the outbox.
    notify_webhook_url: str | None = None
    notify_secret: Secret | None = None  # the HMAC-SHA256 key of X-Liveevent-Signature
    # When reminders go out: "<n>s|m|h|d" before the start, and/or "live" (at go-live).
    notify_reminders: tuple[ReminderOffset, ...] = parse_offsets("1d,30m,live")
    notify_timeout_s: float = 5.0  # one POST, connect to last byte
    notify_concurrency: int = 32  # POSTs in flight per process
    notify_max_attempts: int = 8  # then the notice is dead (staff see it)
    notify_backoff_s: float = 2.0  # the first retry's wait (doubling, with jitter) ...
    notify_backoff_max_s: float = 600.0  # ... up to this
    # A notice taken by a sender that then went silent this long is taken over by another
    # (a crashed process): at least 2 x notify_timeout_s (web/notifier.py holds that line), so
    # a slow POST is not sent twice.
    notify_claim_idle_s: float = 60.0
    notify_poll_s: float = 0.5  # how often due notices are moved to the send queue


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("not an integer")
    return int(v)


def _origins(v: Any) -> tuple[str, ...]:
    items = v.split(",") if isinstance(v, str) else list(v)
    return tuple(str(i).strip().rstrip("/") for i in items if str(i).strip())


def _log_format(v: Any) -> str:
    if str(v) not in ("text", "json"):
        raise ValueError("log_format is text or json")
    return str(v)


def _strings(v: Any) -> tuple[str, ...]:
    items = v.split(",") if isinstance(v, str) else list(v)
    return tuple(str(i).strip() for i in items if str(i).strip())


def _proxies(v: Any) -> tuple[str, ...]:
    entries = _strings(v)
    for entry in entries:  # ValueError names nothing: load_settings names the setting
        ipaddress.ip_network(entry, strict=False)
    return entries


def _public_url(v: Any) -> str | None:
    # Without a scheme the QR codes hold no link a phone opens, the own origin is garbage, and
    # nothing would say why browsers' requests are refused.
    if v in (None, ""):
        return None
    url = str(v).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an address like https://fair.example.edu.cn")
    return url


def _webhook_url(v: Any) -> str | None:
    if v in (None, ""):
        return None
    url = str(v).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) address")
    return url


def _forwarded_header(v: Any) -> str:
    name = str(v).strip().lower()
    if name not in ("x-forwarded-for", "forwarded"):
        raise ValueError("forwarded_header is x-forwarded-for or forwarded")
    return name


def _positive(v: Any) -> float:
    number = float(v)
    if not number > 0:
        raise ValueError("must be above zero")
    return number


def _not_negative(v: Any) -> float:
    number = float(v)
    if not number >= 0:  # NaN too
        raise ValueError("must be zero or more")
    return number


def _optional_int(v: Any) -> int | None:
    return None if v in (None, "", "none") else _int(v)


def _secret(v: Any) -> Secret | None:
    return Secret(str(v)) if v not in (None, "") else None


def _str(v: Any) -> str:
    return str(v)


def _time_zone(v: Any) -> str:
    # Checked here, once, so a misspelt zone stops the start rather than the first export.
    # zoneinfo reads the system's zone database, or the tzdata package where there is none.
    name = str(v).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # NotFound is a KeyError
        raise ValueError(f"{name!r} is not an IANA time zone") from exc
    return name


# Each setting, how to read it, and its environment variable. Explicit on purpose: the table
# is the documentation of what can be configured.
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "host": _str,
    "port": _int,
    "public_url": _public_url,
    "data_dir": lambda v: Path(v),
    "workers": _int,
    "listen_backlog": _int,
    "node_id": _str,
    "log_format": _log_format,
    "redis_url": _secret,
    "redis_cluster_nodes": _strings,
    "key_prefix": _str,
    "store_timeout_s": float,
    "waitaof_timeout_ms": _int,
    "max_apply_batch": _int,
    "admin_token": _secret,
    "allowed_origins": _origins,
    "trusted_proxies": _proxies,
    "forwarded_header": _forwarded_header,
    "max_body_bytes": _int,
    "max_upload_bytes": _int,
    "max_message_bytes": _int,
    "max_viewers": _int,
    "max_sockets_per_ip": _int,
    "max_pending_per_ip": _int,
    "apply_rate_per_viewer": _int,
    "apply_rate_per_ip": _int,
    "station_apply_rate": _int,
    "employer_status_rate": _int,
    "rate_window_s": _int,
    "write_buffer_limit_bytes": _int,
    "max_sheet_unzipped_bytes": _int,
    "max_sheet_rows": _int,
    "max_sheet_columns": _int,
    "sheet_read_budget_s": float,
    "header_timeout_s": _positive,
    "idle_timeout_s": _positive,
    "body_timeout_s": _positive,
    "socket_messages_per_s": float,
    "socket_message_burst": _int,
    "flood_cooldown_s": float,
    "ping_interval_s": float,
    "viewers_interval_s": float,
    "node_ttl_s": float,
    "gc_quiet_s": _not_negative,
    "gc_full_interval_s": _not_negative,
    "gc_full_max_wait_s": _not_negative,
    "retention_days": _optional_int,
    "time_zone": _time_zone,
    "signup_rate_per_ip": _int,
    "notify_webhook_url": _webhook_url,
    "notify_secret": _secret,
    "notify_reminders": parse_offsets,
    "notify_timeout_s": _positive,
    "notify_concurrency": lambda v: int(_positive(_int(v))),
    "notify_max_attempts": lambda v: int(_positive(_int(v))),
    "notify_backoff_s": _positive,
    "notify_backoff_max_s": _positive,
    "notify_claim_idle_s": _positive,
    "notify_poll_s": _positive,
}


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from a TOML file, the environment and explicit overrides.

    The TOML file may group settings in tables (``[server]``, ``[store]``, ...); table names are
    only for people, the keys are the setting names. Raises ``InvalidInput`` naming a bad key.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        with path.open("rb") as fh:
            document = tomllib.load(fh)
        for key, value in document.items():
            if isinstance(value, dict):
                raw.update(value)
            else:
                raw[key] = value
    for name in _PARSERS:
        env_value = (environ or {}).get(f"LIVEEVENT_{name.upper()}")
        if env_value is not None:
            raw[name] = env_value
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        parser = _PARSERS.get(key)
        if parser is None:
            raise InvalidInput(f"unknown setting {key!r}", fields={key: "unknown setting"})
        try:
            parsed[key] = parser(value)
        except (TypeError, ValueError) as exc:
            # The parser's reason ("'bogus' does not appear to be an IPv4 or IPv6 network") is
            # what tells the operator which entry to fix.
            raise InvalidInput(
                f"setting {key!r} is invalid: {exc}", fields={key: "invalid"}
            ) from None
    return replace(Settings(), **parsed)


def default_config_path() -> Path:
    """The packaged default configuration file."""
    return Path(__file__).resolve().parent / "defaults" / "liveevent.toml"
