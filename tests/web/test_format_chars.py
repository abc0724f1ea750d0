"""Text that lies: Unicode format characters (category Cf) never reach stored display text.

U+202E shows ``abc`` as ``cba``; zero-width characters make two different names look the same.
They are stripped on every path that takes display text (``liveevent.domain.text``): the HTTP
API (event, jobs, applications), the viewer socket's apply, job sheets and outcome sheets.
A text made only of them is then missing, and the error names the field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.support import ADMIN_TOKEN, Event, LiveServer

# One instance of every kind: bidi embeddings/overrides, isolates, zero-width characters,
# marks, the BOM, soft hyphen, Arabic letter mark, Mongolian vowel separator, word joiner and
# invisible operators, interlinear annotation, Arabic number sign, tags.
FORMAT_CHARS = [
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    *(chr(c) for c in range(0x200B, 0x2010)),
    "\ufeff", "\u00ad", "\u061c", "\u180e", "\u2060", "\u2064", "\ufff9", "\u0600",
    "\U000e0001", "\U000e0041", "\U000e007f", "\U000110bd", "\U0001d173",
]  # fmt: skip
IDS = [f"U+{ord(c):04X}" for c in FORMAT_CHARS]


def hide(text: str, char: str) -> str:
    """``text`` with ``char`` at its start, in its middle and at its end."""
    middle = len(text) // 2
    return f"{char}{text[:middle]}{char}{text[middle:]}{char}"


async def jobs_of(server: LiveServer, event: Event) -> dict[str, dict[str, Any]]:
    status, body = await server.call("GET", f"/api/events/{event.id}/jobs")
    assert status == 200, body
    return {job["id"]: job for job in body["jobs"]}


async def names_of(server: LiveServer, event: Event) -> list[str]:
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert status == 200, body
    return sorted(item["name"] for item in body["applications"])


async def test_http_event_and_job_creation(server: LiveServer) -> None:
    status, body = await server.call(
        "POST",
        "/api/events",
        token=ADMIN_TOKEN,
        json_body={"title": "\u202e退役军人专场招聘会\u202c"},
    )
    assert status == 201, body
    assert body["title"] == "退役军人专场招聘会"
    event = await server.create_event(live=False)
    jobs = [
        {
            "id": f"f{index}",
            "employer": hide("顺丰速运有限公司", char),
            "title": hide("Warehouse 主管", char),
            "location": hide("深圳", char),
            "salary": hide("9-15千/月", char),
            "description": hide("负责片区运营", char),
        }
        for index, char in enumerate(FORMAT_CHARS)
    ]
    status, body = await server.call(
        "POST", f"/api/events/{event.id}/jobs", token=event.staff_token, json_body=jobs
    )
    assert status in (200, 201), body
    stored = await jobs_of(server, event)
    for index in range(len(FORMAT_CHARS)):
        job = stored[f"f{index}"]
        assert (job["employer"], job["title"], job["location"]) == (
            "顺丰速运有限公司",
            "Warehouse 主管",
            "深圳",
        ), IDS[index]
        assert (job["salary"], job["description"]) == ("9-15千/月", "负责片区运营"), IDS[index]


async def test_text_made_only_of_format_chars_is_missing(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    invisible = "\u202e\u200b\u2066\u2069\ufeff"
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        json_body=[{"employer": invisible, "title": "焊工"}],
    )
    assert status == 422, body
    assert body["error"]["fields"] == {"[0].employer": "required"}
    event = await server.create_event()
    status, body = await server.apply(event, "j1", "13800000001", name=invisible)
    assert status == 422 and body["error"]["fields"] == {"name": "required"}, body


async def test_http_apply_name(server: LiveServer) -> None:
    event = await server.create_event()
    for index, char in enumerate(FORMAT_CHARS):
        name = hide("王芳", char)
        status, body = await server.apply(event, "j1", f"138000{index:05d}", name=name)
        assert status == 201, (IDS[index], body)
    assert set(await names_of(server, event)) == {"王芳"}


async def test_websocket_apply_name(make_server: Callable[..., Awaitable[LiveServer]]) -> None:
    server = await make_server(apply_rate_per_viewer=0, apply_rate_per_ip=0)  # many applies
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    for index, char in enumerate(FORMAT_CHARS):
        await viewer.send(
            {
                "type": "apply",
                "ref": index,
                "job_id": "j1",
                "name": hide("Li Wei", char),
                "phone": f"137000{index:05d}",
            }
        )
        answer = await viewer.next()
        assert answer["type"] == "applied" and answer["ref"] == index, (IDS[index], answer)
    await viewer.close()
    assert set(await names_of(server, event)) == {"Li Wei"}


def test_emoji_joiner_is_kept_and_stray_joiner_is_not() -> None:
    from liveevent.domain.values import text

    # U+200D between two emoji draws one picture (a woman technologist): it stays.
    assert text({"name": "小王👩\u200d💻"}, "name", max_len=50) == "小王👩\u200d💻"
    # Between letters it only hides a difference.
    assert text({"name": "小\u200d王"}, "name", max_len=50) == "小王"
    assert text({"name": "\u200d👩"}, "name", max_len=50) == "👩"


async def test_job_sheet_cells(server: LiveServer) -> None:
    event = await server.create_event(live=False)
    lines = ["\ufeff公司名称,\u2068职位名称\u2069,工作地点,编号"]
    for index, char in enumerate(FORMAT_CHARS):
        employer, title, place = (
            hide("京东物流", char),
            hide("仓储管理员", char),
            hide("北京", char),
        )
        lines.append(f"{employer},{title}{index},{place},s{index}")
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        data="\r\n".join(lines).encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert status in (200, 201), body
    stored = await jobs_of(server, event)
    for index in range(len(FORMAT_CHARS)):
        job = stored[f"s{index}"]
        assert (job["employer"], job["title"], job["location"]) == (
            "京东物流",
            f"仓储管理员{index}",  # distinct titles: equal postings would be merged into one
            "北京",
        ), IDS[index]


@pytest.mark.parametrize("char", FORMAT_CHARS, ids=IDS)
async def test_outcome_sheet(server: LiveServer, char: str) -> None:
    event = await server.create_event()
    status, body = await server.apply(event, "j1", "13800000001")
    assert status == 201, body
    # The header, the title and the status each carry the character, as a sheet pasted
    # together from a chat app does: the row still matches and still means "hired".
    sheet = (
        f"{hide('手机号', char)},{hide('职位名称', char)},{hide('结果', char)}\r\n"
        f"13800000001,{hide('片区运营主管', char)},{hide('录用', char)}\r\n"
    )
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data=sheet.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    assert report["changed"] == 1 and not report["unmatched"] and not report["problems"], report
    assert (await server.stats(event))["hires"] == 1


@pytest.mark.parametrize("char", ["\x85", "\x9b", "\x80", "\x9f"], ids=["NEL", "CSI", "x80", "x9f"])
async def test_c1_control_characters_are_refused_like_the_others(
    server: LiveServer, char: str
) -> None:
    """The C1 controls (U+0080-U+009F, Unicode category Cc like U+0000-U+001F) passed the
    control-character check that refuses ESC: U+009B is the one-character CSI that starts a
    terminal escape sequence, and ``liveevent watch`` prints titles to a terminal; U+0085 is a
    line break. They are refused, naming the field, and nothing is stored."""
    event = await server.create_event()
    status, body = await server.call(
        "POST",
        f"/api/events/{event.id}/jobs",
        token=event.staff_token,
        json_body=[{"id": "c1", "employer": "顺丰", "title": f"仓管{char}[2J员"}],
    )
    assert status == 422 and body["error"]["fields"] == {"[0].title": "control characters"}, body
    assert "c1" not in await jobs_of(server, event)
    status, body = await server.apply(event, "j1", "13800000002", name=f"王{char}芳")
    assert status == 422 and body["error"]["fields"] == {"name": "control characters"}, body
    assert await names_of(server, event) == []
