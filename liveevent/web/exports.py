"""CSV exports, streamed from the store a page at a time (constant memory).

UTF-8 with a BOM so that Excel shows Chinese; text cells starting with ``= + - @`` are escaped
against formula injection. Every export is recorded in the event's audit stream.
"""

from __future__ import annotations

from aiohttp import web

from liveevent.domain import values
from liveevent.web import api
from liveevent.web.appkeys import APPLICATIONS, EVENTS
from liveevent.web.auth import require_role

BOM = "\ufeff"
APPLICATION_COLUMNS = (
    "application_id",
    "job_id",
    "employer",
    "title",
    "name",
    "phone",
    "status",
    "applied_at",
    "card_id",
    "consent",
    "via",
)
HIRES_COLUMNS = ("employer", "job_id", "title", "openings", "applications", "hires")


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def line(values_: tuple[object, ...] | list[object]) -> str:
    return ",".join(cell(v) for v in values_) + "\r\n"


def _csv_response(filename: str) -> web.StreamResponse:
    return web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        }
    )


@api.routes.get("/api/events/{event_id}/export/applications.csv", name="export_applications")
async def export_applications(request: web.Request) -> web.StreamResponse:
    event_id = request.match_info["event_id"]
    role = await require_role(request, event_id, ("staff",))
    jobs = {job.id: job for job in await request.app[EVENTS].jobs(event_id)}
    response = _csv_response(f"applications-{event_id}.csv")
    await response.prepare(request)
    await response.write((BOM + line(APPLICATION_COLUMNS)).encode())
    rows = 0
    async for page in request.app[APPLICATIONS].iterate(event_id):
        chunk = []
        for application, status in page:
            job = jobs.get(application.job_id)
            chunk.append(
                line(
                    (
                        application.application_id,
                        application.job_id,
                        job.employer if job else "",
                        job.title if job else "",
                        application.name,
                        application.phone,
                        str(status),
                        values.iso(application.applied_at),
                        application.card_id or "",
                        application.consent,
                        application.via,
                    )
                )
            )
        rows += len(chunk)
        await response.write("".join(chunk).encode())
    await request.app[APPLICATIONS].audit(
        event_id,
        {"what": "export", "table": "applications", "by": role, "rows": rows, "at": api.now_ms()},
    )
    await response.write_eof()
    return response


@api.routes.get("/api/events/{event_id}/export/hires.csv", name="export_hires")
async def export_hires(request: web.Request) -> web.StreamResponse:
    event_id = request.match_info["event_id"]
    role = await require_role(request, event_id, ("staff",))
    stats = await api.event_stats(request.app, event_id)
    response = _csv_response(f"hires-{event_id}.csv")
    await response.prepare(request)
    out = [BOM + line(HIRES_COLUMNS)]
    for job in stats["jobs"]:
        out.append(line(tuple(job[c] if c != "job_id" else job["job_id"] for c in HIRES_COLUMNS)))
    await response.write("".join(out).encode())
    await request.app[APPLICATIONS].audit(
        event_id,
        {
            "what": "export",
            "table": "hires",
            "by": role,
            "rows": len(stats["jobs"]),
            "at": api.now_ms(),
        },
    )
    await response.write_eof()
    return response
