"""The ``liveevent`` command: serve, demo, watch; jobs, outcomes, export, summary, purge."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from liveevent.config import Secret, Settings, default_config_path, load_settings
from liveevent.datadir import private_dir, private_file, write_private_text
from liveevent.errors import InvalidInput, LiveEventError
from liveevent.logs import configure_logging
from liveevent.store.events import new_token

log = logging.getLogger("liveevent")


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (LIVEEVENT_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (LIVEEVENT_PORT)")
    parser.add_argument("--config", type=Path, help="TOML settings file (default: packaged)")
    parser.add_argument("--data-dir", type=Path, help="data directory (LIVEEVENT_DATA_DIR)")
    parser.add_argument(
        "--redis-url", help="use this Redis instead of the embedded store (LIVEEVENT_REDIS_URL)"
    )
    parser.add_argument("--public-url", help="address viewers reach (LIVEEVENT_PUBLIC_URL)")
    parser.add_argument(
        "--log-format", choices=("text", "json"), help="log lines (LIVEEVENT_LOG_FORMAT)"
    )
    parser.add_argument(
        "--workers", type=int, help="processes sharing the port (LIVEEVENT_WORKERS)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liveevent", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    _server_args(serve)
    demo = sub.add_parser("demo", help="run the server with a demo event and jobs")
    _server_args(demo)
    watch = sub.add_parser("watch", help="print an event's cards as they arrive")
    watch.add_argument("url", help="the viewer page or websocket URL of an event")
    watch.add_argument("--once", action="store_true", help="exit after the hello")
    notify = sub.add_parser("notify", help="the reminders' webhook").add_subparsers(
        dest="action", required=True
    )
    notify_test = notify.add_parser("test", help="send one signed test message, print the answer")
    notify_test.add_argument("--config", type=Path, help="TOML settings file (default: packaged)")
    notify_test.add_argument("--to", default="13800000000", help="the test message's recipient")
    notify_test.set_defaults(host=None, port=None, data_dir=None, redis_url=None, public_url=None)
    from liveevent import admin  # jobs, outcomes, export, summary, purge

    admin.add_parsers(sub)
    return parser


# What each file error means to a person at a terminal (``OSError.strerror`` is the C
# library's wording and the errno name is for programmers).
_FILE_FAULTS: tuple[tuple[type[OSError], str], ...] = (
    (FileNotFoundError, "there is no such file or folder"),
    (IsADirectoryError, "it is a folder, not a file"),
    (NotADirectoryError, "a part of the path is a file, not a folder"),
    (PermissionError, "permission denied"),
    (FileExistsError, "a file is in the way"),
)


def file_fault(path: Path, exc: OSError, *, field: str, doing: str = "read") -> InvalidInput:
    """``InvalidInput`` (``fields[field]``) for an ``OSError`` met reading or writing ``path``:
    one line, ``cannot <doing> <path>: <why in words>``. Raise it ``from exc``."""
    why = next((text for kind, text in _FILE_FAULTS if isinstance(exc, kind)), None)
    why = why or (exc.strerror or type(exc).__name__).lower()
    return InvalidInput(f"cannot {doing} {path}: {why}", fields={field: why})


def read_file(path: Path, *, field: str = "file") -> bytes:
    """The bytes of ``path``; raises ``InvalidInput`` (see ``file_fault``) if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise file_fault(path, exc, field=field) from exc


def settings_from_args(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    """The settings for a command: ``--config`` (a named file must exist and be TOML; else the
    packaged defaults), the environment, then the options. Raises ``InvalidInput`` naming the
    file or the setting that is wrong."""
    config: Path | None = args.config
    if config is None and default_config_path().exists():
        config = default_config_path()
    if config is not None:
        try:
            # Read here, not by load_settings, so that a missing or broken file is one line.
            tomllib.loads(read_file(config, field="config").decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            why = f"not a TOML settings file ({exc})"
            raise InvalidInput(f"cannot read {config}: {why}", fields={"config": why}) from exc
    return load_settings(
        config,
        environ,
        {
            "host": args.host,
            "port": args.port,
            "data_dir": args.data_dir,
            "redis_url": args.redis_url,
            "public_url": args.public_url,
            "log_format": getattr(args, "log_format", None),
            "workers": getattr(args, "workers", None),
            "time_zone": getattr(args, "time_zone", None),
        },
    )


def ensure_admin_token(settings: Settings) -> Settings:
    """Settings with an admin token: configured, or kept in the data dir (made once)."""
    if settings.admin_token is not None:
        return settings
    path = private_dir(settings.data_dir) / "admin_token"
    if path.exists():
        private_file(path)  # one written by an older version may be 0644
        return replace(settings, admin_token=Secret(path.read_text().strip()))
    token = new_token()  # never begins with "-": it is pasted into shells
    write_private_text(path, token + "\n", exclusive=True)
    # Printed once, to the person starting the server; never logged.
    print(f"Generated an admin token (kept in {path}):\n  {token}", flush=True)
    return replace(settings, admin_token=Secret(token))


async def notify_test(settings: Settings, recipient: str) -> int:
    """``liveevent notify test``: one signed message to the webhook; prints the answer.

    Returns 0 for a 2xx answer, 1 otherwise. Raises ``InvalidInput`` (no webhook or secret,
    a bad ``--to``)."""
    import time

    from liveevent.domain.phones import normalize_phone
    from liveevent.web.notifier import send_test

    to = normalize_phone(recipient, field="to")
    result = await send_test(settings, recipient=to, now_s=time.time())
    if result.status is None:
        print(f"{settings.notify_webhook_url}: no answer ({result.error})")
        return 1
    print(f"{settings.notify_webhook_url}: HTTP {result.status}")
    if result.body:
        print(result.body)
    return 0 if 200 <= result.status < 300 else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(log_format="text", verbose=args.verbose)
    try:
        if args.command == "watch":
            from liveevent.watch import watch

            return asyncio.run(watch(args.url, once=args.once))
        if args.command == "notify":
            return asyncio.run(notify_test(settings_from_args(args, dict(os.environ)), args.to))
        if args.command in ("jobs", "outcomes", "export", "summary", "report", "purge"):
            from liveevent.admin import run

            return asyncio.run(run(args, settings_from_args(args, dict(os.environ))))
        settings = ensure_admin_token(settings_from_args(args, dict(os.environ)))
        # The chosen format from here on (the settings name it; text until they are read).
        configure_logging(
            log_format=settings.log_format, verbose=args.verbose, node=settings.node_id
        )
        from liveevent.serve import run_server

        return run_server(settings, demo=args.command == "demo")
    except LiveEventError as exc:
        print(f"liveevent: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A file or folder the command could not use (the data dir, say): one line, not a
        # traceback. The specific paths (sheets, --out, --config) have their own wording.
        if exc.filename:
            message = file_fault(Path(exc.filename), exc, field="file", doing="use").message
        else:  # not a file: a port in use, say
            message = str(exc.strerror or exc).lower()
        print(f"liveevent: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
