"""Finding applications for an employer's outcome sheet: by id, or by phone + job."""

from __future__ import annotations

from liveevent.store import codec
from liveevent.store.connect import StoreConnection, store_errors


async def application_job(conn: StoreConnection, event_id: str, application_id: str) -> str | None:
    """The job id of an application, or None if the event has no such application.

    Raises ``StoreUnavailable``.
    """
    k = conn.keys.event(event_id)
    with store_errors():
        index = await conn.reader.hget(k.appidx, application_id)
    return codec.text(index).partition("|")[2] if index else None


async def application_by_phone(
    conn: StoreConnection, event_id: str, job_ids: list[str], phone: str
) -> list[str]:
    """Ids of the applications made with ``phone`` (normalized) for any of ``job_ids``.

    Uses the dedupe index, so it finds nothing once the event's data has been purged.
    At most one id per job, in the order of ``job_ids``. Raises ``StoreUnavailable``.
    """
    if not job_ids:
        return []
    k = conn.keys.event(event_id)
    with store_errors():
        found = await conn.reader.hmget(k.dedupe, [f"{job_id}|{phone}" for job_id in job_ids])
    return [codec.text(value).partition("|")[0] for value in found if value]


async def application_count(conn: StoreConnection, event_id: str) -> int:
    """Entries in the applications stream (for progress bars); 0 for an unknown event.

    Raises ``StoreUnavailable``.
    """
    k = conn.keys.event(event_id)
    with store_errors():
        return int(await conn.reader.xlen(k.apps))
