"""Spreadsheet uploads: job sheets on ``POST /api/events/{id}/jobs`` and outcome sheets.

A sheet arrives as the raw body (``text/csv``, the XLSX content type, or
``application/octet-stream``: the format is decided from the bytes), or as
``multipart/form-data`` with a ``file`` part and optionally a ``mapping`` part. The column
mapping (header text -> field) may also come as ``?mapping=<JSON object>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from liveevent.errors import BodyTooLarge, InvalidInput, MalformedBody
from liveevent.office.jobs import import_jobs
from liveevent.tables.xlsx_out import XLSX_CONTENT_TYPE
from liveevent.web.appkeys import EVENTS, SETTINGS, SHEETS
from liveevent.web.middleware import read_body

SHEET_TYPES = frozenset(
    {
        "text/csv",
        "application/csv",
        "text/plain",
        "application/vnd.ms-excel",
        "application/octet-stream",
        XLSX_CONTENT_TYPE,
    }
)
MULTIPART = "multipart/form-data"
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded sheet: its bytes, its declared content type (or file name when the part
    declared none), and the column mapping (header text -> field name) if one was given.

    Raises nothing.
    """

    data: bytes
    content_type: str
    mapping: dict[str, str] | None


def is_sheet(request: web.Request) -> bool:
    """True when the body is a spreadsheet rather than JSON (a CSV or XLSX content type,
    or ``multipart/form-data``). Raises nothing."""
    return request.content_type in SHEET_TYPES or request.content_type == MULTIPART


def flag(request: web.Request, name: str) -> bool:
    """Whether the query parameter ``name`` is ``1``, ``true``, ``yes`` or ``on`` (any case).

    Absent or anything else is False; raises nothing.
    """
    return request.query.get(name, "").strip().lower() in _TRUE


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """A JSON object of header text -> field name; raises ``InvalidInput`` otherwise."""
    if text is None or not text.strip():
        return None
    why = "must be a JSON object of column header -> field name"
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, nested too deep, a 5,000-digit number
        raise InvalidInput(f"mapping {why}", fields={"mapping": why}) from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidInput(f"mapping {why}", fields={"mapping": why})
    return value


async def read_upload(request: web.Request) -> Upload:
    """The uploaded sheet; 413 over ``max_upload_bytes``, 422 without a file.

    A raw body, or the ``file`` part (and an optional ``mapping`` part) of a multipart form
    (RFC 7578). Raises ``BodyTooLarge`` (413), ``InvalidInput`` (422: no ``file`` part, a bad
    ``mapping``), ``MalformedBody`` (400: a broken form, or a body too slow or short).
    """
    limit = request.app[SETTINGS].max_upload_bytes
    mapping = parse_mapping(request.query.get("mapping"))
    if request.content_type != MULTIPART:
        return Upload(await read_body(request, limit), request.content_type, mapping)
    data: bytes | None = None
    content_type = ""
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file":
                content_type = part.headers.get("Content-Type", "") or (part.filename or "")
                data = await _read_part(part, limit)
            elif part.name == "mapping":
                text = (await _read_part(part, 64 * 1024)).decode("utf-8", "replace")
                mapping = parse_mapping(text)
    except (HttpProcessingError, ValueError) as exc:
        # aiohttp's multipart parser raises these on a broken form (say, a control
        # character in a part's header): the client's fault, not a 500.
        raise MalformedBody("the upload is not a valid multipart form") from exc
    if data is None:
        raise InvalidInput("the form has no 'file' part", fields={"file": "required"})
    return Upload(data, content_type, mapping)


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(256 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the uploaded file is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def upsert_jobs_from_sheet(request: web.Request, event_id: str) -> web.Response:
    """Import a job sheet: 201/200 with the report; 422 listing every bad row (nothing stored)
    unless ``?skip_invalid=1``, when the good rows are stored and the bad ones reported.

    The sheet is parsed in a child process (``office.sheet_process``), so viewers and
    ``/healthz`` are served meanwhile. 413 over a size limit (``max_upload_bytes``,
    ``max_sheet_unzipped_bytes``, ``max_sheet_rows``, ``max_sheet_columns``), 422 past
    ``sheet_read_budget_s``; the message names the setting, and nothing is stored.

    Raises (mapped to HTTP by the middleware) what ``read_upload`` raises, ``InvalidInput``
    (422), ``BodyTooLarge`` (413), ``NotFound`` (404) and ``StoreUnavailable`` (503)."""
    upload = await read_upload(request)
    result = await import_jobs(
        request.app[EVENTS],
        event_id,
        upload.data,
        reader=request.app[SHEETS],
        content_type=upload.content_type,
        mapping=upload.mapping,
        skip_invalid=flag(request, "skip_invalid"),
    )
    return web.json_response(result.to_wire(), status=201 if result.created else 200)
