"""The one place where errors become HTTP responses; request guards, response headers and
request body helpers."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liveevent.errors import (
    BodyTooLarge,
    LiveEventError,
    MalformedBody,
    NotFound,
    StoreUnavailable,
    UnsupportedMediaType,
)
from liveevent.logs import REQUEST_ID as LOG_REQUEST_ID
from liveevent.web.appkeys import METRICS, SETTINGS
from liveevent.web.jsontext import parse_json
from liveevent.web.origin import check_origin

log = logging.getLogger(__name__)

REQUEST_ID = web.RequestKey("request_id", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Request ids: unique per process start and request, without a system call per request.
_REQUEST_IDS = itertools.count()
_REQUEST_ID_PREFIX = secrets.token_hex(4)


def _new_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_REQUEST_IDS):08x}"


def error_response(exc: LiveEventError) -> web.Response:
    """The HTTP answer for ``exc``: its ``status`` and ``{"error": exc.to_wire()}``.

    The one place errors become HTTP (with ``errors_middleware``); raises nothing.
    """
    return web.json_response({"error": exc.to_wire()}, status=exc.status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map every error a handler raises to a JSON answer; tag the request with an id.

    ``LiveEventError`` -> its status (5xx ones logged by code); aiohttp's 404/405/413 and
    other 4xx -> the same shape; anything else -> 500 ``internal`` with the request id,
    logged without body or parameters (personal data). The id is the client's
    ``X-Request-Id`` (first 64 characters) or a fresh one, echoed in the response header.
    Raises only an ``HTTPException`` below 400 (a redirect), which aiohttp answers.
    """
    request_id = request.headers.get("X-Request-Id", "")[:64] or _new_request_id()
    request[REQUEST_ID] = request_id
    LOG_REQUEST_ID.set(request_id)  # each request runs in its own task: its own context
    try:
        response = await handler(request)
    except LiveEventError as exc:
        if exc.status >= 500:
            log.warning("request %s failed: %s", request_id, exc.code)
            if isinstance(exc, StoreUnavailable) and METRICS in request.app:
                request.app[METRICS].request_errors += 1
        response = error_response(exc)
    except web.HTTPRequestEntityTooLarge:
        response = error_response(BodyTooLarge("the request body is too large"))
    except web.HTTPNotFound:
        response = error_response(NotFound("no such resource"))
    except web.HTTPMethodNotAllowed as exc:
        response = web.json_response(
            {"error": {"code": "method_not_allowed", "message": f"{request.method} not allowed"}},
            status=405,
            headers={"Allow": ",".join(sorted(exc.allowed_methods))},
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = web.json_response(
            {"error": {"code": "http_error", "message": exc.reason}}, status=exc.status
        )
    except Exception:
        # No request body or parameters in the log line: they may hold personal data.
        log.exception("request %s to %s failed", request_id, request.match_info.route.name)
        response = web.json_response(
            {"error": {"code": "internal", "message": "internal error", "request_id": request_id}},
            status=500,
        )
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response


# Methods that change state: a cross-site page must not be able to make a browser send them.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@web.middleware
async def browser_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse (403) a state-changing request from a page on a foreign site (``web/origin.py``).

    Runs inside ``errors_middleware`` and before any handler reads the body, so a refused
    request stores nothing. Token-bearing calls from curl (no ``Origin``) still work.
    Raises ``Forbidden`` (403) for such a request; otherwise returns the handler's answer.
    """
    if request.method in UNSAFE_METHODS:
        check_origin(request)
    return await handler(request)


def require_json(request: web.Request) -> None:
    """Raise ``UnsupportedMediaType`` (415) unless the body is declared ``application/json``.

    A page on another site can send ``text/plain``, form or multipart bodies without asking
    the browser's permission (a CORS "simple request"); ``application/json`` it cannot.
    """
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "the body must be sent as Content-Type: application/json",
            fields={"Content-Type": "must be application/json"},
        )


# Pages may run scripts from this server only (no inline script, no eval), may not be framed
# (clickjacking) and may not post forms elsewhere. Media and links stay open: a stream may be
# a video on another host. The overlay is the one page meant to be embedded (OBS, a mixer).
_CSP = "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
CSP = f"{_CSP}; frame-ancestors 'none'"
CSP_EMBEDDABLE = _CSP
EMBEDDABLE_ROUTES = frozenset({"page_overlay"})


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the headers every response carries (every route, errors too).

    ``Cache-Control: no-store`` goes on every response that has not chosen its own caching:
    API answers carry names and phones (applications, exports, staff views), and no shared
    cache or phone may keep them. Static files are versioned and public: they may be cached.
    Headers already set are kept. Returns None; raises nothing.
    """
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    route = request.match_info.route.name
    embeddable = route in EMBEDDABLE_ROUTES
    headers.setdefault("Content-Security-Policy", CSP_EMBEDDABLE if embeddable else CSP)
    if not embeddable:
        headers.setdefault("X-Frame-Options", "DENY")  # browsers without frame-ancestors
    if "Cache-Control" not in headers and route != "static":
        headers["Cache-Control"] = "no-store"


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes (413) without reading it all.

    The whole body must arrive within ``body_timeout_s`` (``MalformedBody``, 400, naming
    ``body``, and the connection is closed): a client that sends a complete head and then
    trickles its body would otherwise hold the connection and this handler indefinitely.
    Raises ``BodyTooLarge`` (413) over ``limit``, ``MalformedBody`` (400) for a body shorter
    than its ``Content-Length`` or one that came too slowly.
    """
    timeout_s = request.app[SETTINGS].body_timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            return await _read_body(request, limit)
    except TimeoutError:
        # aiohttp answers, then reads the rest for up to lingering_time (serve.py) and closes.
        raise MalformedBody(
            f"the body did not arrive within {timeout_s:g} s", fields={"body": "too slow"}
        ) from None


async def _read_body(request: web.Request, limit: int) -> bytes:
    length = request.content_length
    if length is not None and length > limit:
        raise BodyTooLarge(f"the request body is over {limit} bytes")
    if length is not None:
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError:
            raise MalformedBody("the body ended before its Content-Length") from None
    # read(n) returns what has arrived so far (up to n), not the whole body: read to the end.
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, limit: int) -> Any:
    """The body as JSON; 413 over ``limit``, 400 if it is not JSON.

    Raises ``BodyTooLarge`` over ``limit`` bytes, ``MalformedBody`` for a body that is not
    UTF-8 JSON (RFC 8259), nested too deep, short of its ``Content-Length`` or too slow.
    """
    body = await read_body(request, limit)
    try:
        return parse_json(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise MalformedBody("the body is not valid JSON") from None
