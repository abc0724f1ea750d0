"""The calendar file against a title with line breaks (review r4): a bare CR in the title,
which the title rules let through, must not end the SUMMARY line (calendar readers split on
it and read what follows as properties of their own)."""

from __future__ import annotations

from tests.support import ADMIN_TOKEN, LiveServer
from tests.web.test_signups import in_days


async def test_a_title_cannot_add_lines_to_the_calendar_file(server: LiveServer) -> None:
    title = "招聘会\rEND:VEVENT\rBEGIN:VEVENT\rURL:http://evil.example/\r\n第二行"
    body = {"title": title, "starts_at": in_days(2)}
    status, created = await server.call("POST", "/api/events", token=ADMIN_TOKEN, json_body=body)
    assert status == 201, created
    url = f"{server.url}/api/events/{created['id']}/calendar.ics"
    assert server.session is not None
    async with server.session.get(url) as resp:
        assert resp.status == 200
        text = (await resp.read()).decode()
    lines = text.split("\r\n")
    assert "\r" not in "".join(lines) and "\n" not in "".join(lines)
    assert [line.split(":")[0] for line in lines if line] == [
        "BEGIN", "VERSION", "PRODID", "BEGIN", "UID", "DTSTAMP", "DTSTART", "DTEND",
        "SUMMARY", "URL", "END", "END",
    ]  # fmt: skip
    assert sum(line.startswith("URL:") for line in lines) == 1
