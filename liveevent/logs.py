"""Log output: plain text for people, or one JSON object a line for a log pipeline.

JSON lines carry the time, level, logger, message, this node's id and the id of the request
being served (``X-Request-Id``, set by the error middleware). What goes in a message is the
caller's responsibility, and liveevent's own log calls never include names, phone numbers,
tokens or request bodies; this formatter adds nothing from the request but its id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from typing import Any

# The request being served in this task (the middleware sets it; "" outside a request).
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def __init__(self, *, node: str) -> None:
        super().__init__()
        self.node = node

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "node": self.node,
        }
        request_id = REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class ClientFaults(logging.Filter):
    """Drops aiohttp's record of a request it could not parse (``HttpProcessingError``: a bad
    character, a line past 8 KiB, not HTTP at all), already answered with 400.

    The client's fault, not the server's: aiohttp logs each at ERROR with a traceback and an
    excerpt of the request (a header line, the URL), which holds whatever the client put
    there, a phone number in a query or a token in a header; and anyone could fill the disk
    with them, one traceback per request. Other records of ``aiohttp.server`` pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Imported here: this module is imported before anything else, aiohttp need not be.
        from aiohttp.http_exceptions import HttpProcessingError

        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, HttpProcessingError)


def configure_logging(*, log_format: str, verbose: bool, node: str = "") -> None:
    """Send every logger's records to stderr in the chosen format (``text`` or ``json``);
    requests aiohttp could not parse are not logged (``ClientFaults``)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter(node=node))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientFaults) for f in server_log.filters):
        server_log.addFilter(ClientFaults())
