"""The admin report across fairs with hostile dates (review r4): the last day the calendar
has, or the first, is a 422 naming the field, not a 500."""

from __future__ import annotations

import pytest

from tests.support import ADMIN_TOKEN, LiveServer


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=9999-12-31", "from"),
        ("from=9998-12-25&to=9999-12-31", "to"),
        ("from=0001-01-01", "from"),
    ],
)
async def test_the_ends_of_the_calendar_are_refused_by_name(
    server: LiveServer, query: str, field: str
) -> None:
    status, body = await server.call("GET", f"/api/report?{query}", token=ADMIN_TOKEN)
    assert status == 422, body
    assert field in body["error"]["fields"]
