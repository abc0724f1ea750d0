"""The check-ins table: one row per person checked in at a venue (issue 16 part 4), for staff.

Served by the export machinery (``web/exports.py``: ``/export/checkins.csv|.xlsx``) like the
applications table, under the same rules: staff and admin only, phones in full for them and
masked (``138****5678``) for anyone else the caller passes ``mask_phones`` for, worded for
people (Chinese headers, local times) or raw for scripts (``?form=raw``). After an event's
purge its check-ins stream is gone (``store/purge.py``), so the table has its header and no
row: no name or phone outlives the purge here either; the counts stay in ``GET /stats``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from liveevent.domain.applications import mask_phone
from liveevent.office.export_tables import Row, Table
from liveevent.office.layout import Lang, Layout
from liveevent.store.venues import VenueStore

CHECKIN_COLUMNS = (
    "checkin_id",
    "venue_id",
    "venue",
    "city",
    "name",
    "phone",
    "consent",
    "checked_in_at",
)
# code -> (zh-CN header, English header, XLSX width); ``{zone}`` as in office/layout.py.
_WORDS: dict[str, tuple[str, str, float]] = {
    "checkin_id": ("签到编号", "check-in ID", 14),
    "venue_id": ("会场编号", "venue ID", 10),
    "venue": ("会场", "venue", 20),
    "city": ("城市", "city", 8),
    "name": ("姓名", "name", 10),
    "phone": ("手机号", "phone", 15),
    "consent": ("同意", "consent", 8),
    "checked_in_at": ("签到时间 ({zone})", "checked in at ({zone})", 20),
}
_SHEET = {Lang.ZH_CN: "现场签到", Lang.EN: "check-ins"}


def _headers(layout: Layout) -> tuple[tuple[str, ...], tuple[float, ...]]:
    if layout.raw:
        return CHECKIN_COLUMNS, tuple(max(w, len(c) + 2.0) for c, (_, _, w) in _WORDS.items())
    pick = 0 if layout.lang is Lang.ZH_CN else 1
    headers = tuple(str(_WORDS[c][pick]).format(zone=layout.zone_name) for c in CHECKIN_COLUMNS)
    return headers, tuple(_WORDS[c][2] for c in CHECKIN_COLUMNS)


def checkin_row(record: dict[str, Any], venues: dict[str, Any], mask: bool, layout: Layout) -> Row:
    """One check-in record (``VenueStore.checkins``) as a row of ``CHECKIN_COLUMNS``; the
    venue's name and city from ``venues`` (id -> ``Venue``). Raises nothing."""
    venue = venues.get(record.get("venue", ""))
    phone = record.get("phone") or ""
    return [
        record.get("checkin_id", ""),
        record.get("venue", ""),
        venue.name if venue else "",
        (venue.city or "") if venue else "",
        record.get("name") or "",
        mask_phone(phone) if mask and phone else phone,
        layout.consent(record.get("consent")),
        layout.time(record["checked_in_at"]),
    ]


async def checkins_table(
    store: VenueStore, event_id: str, *, mask_phones: bool, layout: Layout
) -> Table:
    """Every check-in of the event, oldest first, as a ``Table`` named ``checkins`` (one page:
    a fair's check-ins are thousands, not millions). Raises ``StoreUnavailable``."""
    venues = {venue.id: venue for venue in await store.venues(event_id)}
    records = await store.checkins(event_id)

    async def pages() -> AsyncIterator[list[Row]]:
        yield [checkin_row(r, venues, mask_phones, layout) for r in records]

    headers, widths = _headers(layout)
    sheet = "checkins" if layout.raw else _SHEET[layout.lang]
    return Table("checkins", headers, pages, len(records), sheet=sheet, widths=widths)
