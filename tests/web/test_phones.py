"""The one phone rule through the server (issue 14): HTTP and websocket apply, dedupe, outcome
sheets and the staff API's phone filter all read a phone the same way."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import Event, LiveServer

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "phones.json").read_text(encoding="utf-8")
)
# The forms the issue reports, and a few others of each kind from the shared table.
KINDS = (
    "IME full-width dashes (issue 14)",
    "bidi isolates from a chat app copy (issue 14)",
    "Arabic-Indic digits (issue 14)",
    "no-break spaces from a web page",
    "zero-width spaces",
    "tel: link (RFC 3966)",
    "Devanagari digits",
    "Hong Kong mobile, bidi isolates",
    "Taiwan mobile with its trunk 0",
)
CASES = [case for case in TABLE["accepted"] if case["kind"] in KINDS]


@pytest.fixture
async def server(make_server: Callable[..., Awaitable[LiveServer]]) -> LiveServer:
    return await make_server(apply_rate_per_viewer=0, apply_rate_per_ip=0)


async def applications(server: LiveServer, event: Event, query: str = "") -> Any:
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications{query}", token=event.staff_token
    )
    assert status == 200, body
    return body["applications"]


async def test_every_written_form_is_stored_in_one_form_and_deduplicated(
    server: LiveServer,
) -> None:
    assert len(CASES) == len(KINDS)
    event = await server.create_event()
    ids: dict[str, str] = {}
    for case in CASES:
        status, body = await server.apply(event, "j1", case["input"])
        if case["stored"] not in ids:
            assert status == 201, (case["kind"], body)
            ids[case["stored"]] = body["application_id"]
        else:  # another way of writing a number that applied already: the same applicant
            assert status == 200 and body["duplicate"] is True, case["kind"]
            assert body["application_id"] == ids[case["stored"]]
        status, again = await server.apply(event, "j1", case["stored"])
        assert status == 200 and again["application_id"] == ids[case["stored"]], case["kind"]
    stored = {row["phone"] for row in await applications(server, event)}
    assert stored == {case["stored"] for case in CASES}
    stats = await server.stats(event)
    assert stats["applications"] == stats["applicants"] == len(stored)


async def test_a_refused_phone_names_the_field_and_changes_nothing(server: LiveServer) -> None:
    event = await server.create_event()
    for case in TABLE["refused"]:
        status, body = await server.apply(event, "j1", case["input"])
        assert status == 422, case["kind"]
        assert case["reason"] in body["error"]["fields"]["phone"], case["kind"]
    assert (await server.stats(event))["applications"] == 0


async def test_websocket_apply_reads_the_phone_the_same_way(server: LiveServer) -> None:
    event = await server.create_event()
    viewer = await server.viewer(event)
    await viewer.next()
    message = {"type": "apply", "job_id": "j1", "name": "王五", "consent": True}
    await viewer.send({**message, "ref": 1, "phone": "\u2068+86 138 2222 3333\u2069"})
    first = await viewer.next_of("applied")
    assert first["duplicate"] is False
    await viewer.send({**message, "ref": 2, "phone": "１３８－２２２２－３３３３"})
    again = await viewer.next_of("applied")
    assert again["duplicate"] is True and again["application_id"] == first["application_id"]
    await viewer.send({**message, "ref": 3, "phone": "021 6123 4567"})
    error = await viewer.next_of("error")
    assert error["ref"] == 3 and "landline" in error["fields"]["phone"]
    await viewer.close()
    assert [row["phone"] for row in await applications(server, event)] == ["13822223333"]


async def test_outcome_sheets_match_applicants_in_any_accepted_form(server: LiveServer) -> None:
    event = await server.create_event()
    ids = {}
    for job, phone in (
        ("j1", "+852 9123 4567"),
        ("j2", "138.0000.1234"),
        ("j3", "138٠٠١٣٨٠٠٠"),
        ("j1", "+886 912 345 678"),
    ):
        status, body = await server.apply(event, job, phone)
        assert status == 201, body
        ids[job, phone] = body["application_id"]
    sheet = (
        "手机号,职位编号,结果\r\n"
        "(+852) 9123-4567,j1,录用\r\n"
        "１３８ ００００ １２３４,j2,录用\r\n"
        "\u2068+86 138 0013 8000\u2069,j3,录用\r\n"
        "00886 0912-345-678,j1,不合适\r\n"
        "010-6666 8888,j1,录用\r\n"
    )
    status, report = await server.call(
        "POST",
        f"/api/events/{event.id}/outcomes",
        token=event.staff_token,
        data=sheet.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    assert sorted(change["application_id"] for change in report["changes"]) == sorted(ids.values())
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(6, "手机号")]
    assert "landline" in report["problems"][0]["message"]
    assert "66668888" not in json.dumps(report).replace(
        " ", ""
    )  # the report carries no phone numbers
    assert (await server.stats(event))["hires"] == 3


async def test_staff_find_an_application_by_any_form_of_its_phone(server: LiveServer) -> None:
    event = await server.create_event()
    status, body = await server.apply(event, "j1", "138 2222 3333")
    assert status == 201
    await server.apply(event, "j2", "13900001111")
    for typed in ("13822223333", "+86 138-2222-3333", "１３８２２２２３３３３", "138٢٢٢٢٣٣٣٣"):
        found = await applications(server, event, "?phone=" + quote(typed))
        assert [row["application_id"] for row in found] == [body["application_id"]], typed
    status, error = await server.call(
        "GET", f"/api/events/{event.id}/applications?phone=12345", token=event.staff_token
    )
    assert status == 422 and "phone" in error["error"]["fields"]
    status, error = await server.call(
        "GET", f"/api/events/{event.id}/applications?phone=13822223333", token=event.host_token
    )
    assert status == 403
