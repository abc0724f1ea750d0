"""Questions on the card through a real server: asking, roles, limits, and what viewers get."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

from liveevent.domain.access import Grant, Role
from liveevent.web.appkeys import EVENTS, QUESTIONS
from tests.support import ADMIN_TOKEN, Event, LiveServer, ViewerClient

MakeServer = Callable[..., Awaitable[LiveServer]]


async def _ask_ws(
    viewer: ViewerClient, card_id: str, ref: str = "q", **body: Any
) -> dict[str, Any]:
    await viewer.send({"type": "ask", "ref": ref, "card_id": card_id, "text": "包住吗？", **body})
    while True:
        message = await viewer.next()
        if message.get("ref") == ref:
            return message


async def _ask(server: LiveServer, event: Event, **body: Any) -> tuple[int, Any]:
    return await server.call("POST", f"/api/events/{event.id}/questions", json_body=body)


async def _moderate(
    server: LiveServer, event: Event, question_id: str, token: str, **body: Any
) -> tuple[int, Any]:
    return await server.call(
        "POST", f"/api/events/{event.id}/questions/{question_id}", token=token, json_body=body
    )


async def _list(server: LiveServer, event: Event, token: str, query: str = "") -> tuple[int, Any]:
    return await server.call("GET", f"/api/events/{event.id}/questions{query}", token=token)


async def _employer(server: LiveServer, event: Event, employer: str) -> str:
    grant = Grant(role=Role.EMPLOYER, name=employer, scope=employer, created_at=0)
    return await server.app[EVENTS].add_grant(event.id, grant)


async def test_a_question_goes_from_a_viewer_through_the_host_to_every_viewer(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    asker = await server.viewer(event)
    other = await server.viewer(event)
    for viewer in (asker, other):
        hello = await viewer.next_of("hello")
        assert hello["questions"] == []
    answer = await _ask_ws(asker, card["card_id"], name="张三丰")
    assert answer["type"] == "asked", answer
    question_id = answer["question_id"]

    status, queue = await _list(server, event, event.host_token, "?status=pending")
    assert status == 200, queue
    [queued] = queue["questions"]
    assert (queued["question_id"], queued["name"], queued["text"]) == (
        question_id,
        "张三丰",
        "包住吗？",
    )

    status, body = await _moderate(server, event, question_id, event.host_token, action="approve")
    assert status == 200 and body["question"]["status"] == "approved", body
    shown = await other.next_of("question")
    assert shown["cursor"] == body["cursor"]
    assert shown["question"]["name"] == "张**" and shown["question"]["text"] == "包住吗？"
    assert "张三丰" not in str(shown)

    status, listed = await _list(
        server, event, event.host_token, f"?shown=1&card_id={card['card_id']}"
    )
    assert [q["question_id"] for q in listed["questions"]] == [question_id], listed
    status, listed = await _list(server, event, event.host_token, "?shown=1")
    assert status == 422 and set(listed["error"]["fields"]) == {"card_id"}, listed

    status, body = await _moderate(
        server, event, question_id, event.staff_token, action="answer", answer="包住，四人间"
    )
    assert status == 200, body
    answered = await other.next_of("question")
    assert answered["question"]["answer"] == "包住，四人间"
    assert answered["question"]["answered_by"] == "staff"

    # A viewer who joins now is greeted with it; one who resumes gets what it missed.
    late = await server.viewer(event)
    hello = await late.next_of("hello")
    assert [q["answer"] for q in hello["questions"]] == ["包住，四人间"]
    resumed = await server.viewer(event, since=shown["cursor"])
    hello = await resumed.next_of("hello")
    assert hello["resumed"] is True and "questions" not in hello
    again = await resumed.next_of("question")
    assert again["cursor"] == answered["cursor"]

    status, body = await _moderate(server, event, question_id, event.host_token, action="hide")
    assert status == 200, body
    hidden = await other.next_of("question")
    assert hidden["question"] == {
        "question_id": question_id,
        "card_id": card["card_id"],
        "job_id": "j1",
        "status": "hidden",
    }
    late2 = await server.viewer(event)
    assert (await late2.next_of("hello"))["questions"] == []
    status, queue = await _list(server, event, event.host_token, "?status=pending")
    assert queue["questions"] == []
    for viewer in (asker, other, late, resumed, late2):
        await viewer.close()


async def test_hiding_a_pending_question_sends_viewers_nothing(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    status, asked = await _ask(server, event, card_id=card["card_id"], text="加班多吗")
    assert status == 201 and asked["status"] == "pending", asked
    status, body = await _moderate(
        server, event, asked["question_id"], event.host_token, action="hide"
    )
    assert status == 200 and body["cursor"] is None, body
    status, body = await _moderate(
        server, event, asked["question_id"], event.host_token, action="hide"
    )
    assert status == 409, body  # not in the transition table


async def test_employers_answer_only_their_own_jobs_questions(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")  # 顺丰速运有限公司
    _, mine = await _ask(server, event, card_id=card["card_id"], text="有五险一金吗", name="张三")
    card2 = await server.push(event, "j3")  # 京东物流
    _, theirs = await _ask(server, event, card_id=card2["card_id"], text="几点上班")
    sf = await _employer(server, event, "顺丰速运有限公司")

    status, listed = await _list(server, event, sf)
    assert status == 200 and [q["question_id"] for q in listed["questions"]] == [
        mine["question_id"]
    ]
    assert listed["questions"][0]["name"] == "张*"  # masked for an employer
    status, body = await _moderate(
        server, event, theirs["question_id"], sf, action="answer", answer="9点"
    )
    assert status == 403, body
    status, body = await _moderate(server, event, mine["question_id"], sf, action="approve")
    assert status == 403 and body["error"]["fields"] == {"action": "not allowed"}, body
    status, body = await _moderate(
        server, event, mine["question_id"], sf, action="answer", answer="有，入职即缴"
    )
    assert status == 200, body
    assert body["question"]["answered_by"] == "employer"
    assert body["question"]["answered_by_name"] == "顺丰速运有限公司"
    # Admin moderates too; an overlay token and no token do not.
    status, _ = await _moderate(server, event, theirs["question_id"], ADMIN_TOKEN, action="approve")
    assert status == 200
    status, _ = await _list(server, event, event.overlay_token)
    assert status == 403
    status, _ = await server.call("GET", f"/api/events/{event.id}/questions")
    assert status == 401


async def test_bad_questions_are_refused_naming_the_field_and_store_nothing(
    server: LiveServer,
) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    cases: list[tuple[dict[str, Any], int, set[str]]] = [
        ({"card_id": card["card_id"], "text": "电话 13800138000"}, 422, {"text"}),
        ({"card_id": card["card_id"], "text": "x" * 201}, 422, {"text"}),
        ({"card_id": card["card_id"], "text": "ok", "phone": "13800138000"}, 422, {"phone"}),
        ({"card_id": "nope", "text": "ok"}, 409, {"card_id"}),
    ]
    for body, status_code, fields in cases:
        status, answer = await _ask(server, event, **body)
        assert status == status_code and set(answer["error"]["fields"]) == fields, answer
    status, answer = await server.call(
        "POST",
        f"/api/events/{event.id}/questions",
        data=b'{"card_id": "x", "text": "y"}',
        headers={"Content-Type": "text/plain"},
    )
    assert status == 415, answer
    viewer = await server.viewer(event)
    await viewer.next_of("hello")
    refused = await _ask_ws(viewer, card["card_id"], text="加我 138 0013 8000")
    assert refused["type"] == "error" and set(refused["fields"]) == {"text"}, refused
    status, listed = await _list(server, event, event.staff_token)
    assert listed["questions"] == []
    status, body = await _moderate(server, event, "q-none", event.host_token, action="approve")
    assert status == 404, body
    status, body = await _moderate(server, event, "q-none", event.host_token, action="answer")
    assert status == 422 and set(body["error"]["fields"]) == {"answer"}, body
    status, body = await _list(server, event, event.host_token, "?status=maybe")
    assert status == 422 and set(body["error"]["fields"]) == {"status"}, body
    await viewer.close()


async def test_questions_from_one_address_are_limited_like_applications(
    make_server: MakeServer,
) -> None:
    server = await make_server(apply_rate_per_ip=2)
    event = await server.create_event()
    card = await server.push(event, "j1")
    answers = [
        (await _ask(server, event, card_id=card["card_id"], text=f"问题{i}"))[0] for i in range(3)
    ]
    assert answers == [201, 201, 429]
    # A client's retry with its idempotency key is the first question, not a second one.
    other = await make_server()
    body = {"card_id": card["card_id"], "text": "住宿？", "idempotency_key": "k-1"}
    first = await _ask(other, event, **body)
    second = await _ask(other, event, **body)
    assert first[0] == second[0] == 201 and first[1] == second[1], (first, second)


async def test_questions_wait_for_a_live_card(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    status, body = await server.call(
        "DELETE", f"/api/events/{event.id}/cards/current", token=event.host_token
    )
    assert status == 204, body
    status, body = await _ask(server, event, card_id=card["card_id"], text="还招吗")
    assert status == 409 and body["error"]["fields"] == {"card_id": "not on screen"}, body


async def test_questions_are_exported_with_the_event(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    _, asked = await _ask(server, event, card_id=card["card_id"], name="王五", text="要体检吗")
    await _moderate(
        server, event, asked["question_id"], event.host_token, action="answer", answer="要"
    )
    _, _ = await _ask(server, event, card_id=card["card_id"], text="加班吗")
    base = f"/api/events/{event.id}/export"
    status, text = await server.call(
        "GET", f"{base}/questions.csv?form=raw", token=event.staff_token
    )
    assert status == 200, text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["name"], r["question"], r["question_status"], r["answer"]) for r in rows] == [
        ("王五", "要体检吗", "answered", "要"),
        ("", "加班吗", "pending", ""),
    ]
    assert rows[0]["answered_by"] == "host" and rows[0]["title"] == "片区运营主管"
    status, text = await server.call("GET", f"{base}/questions.csv", token=event.staff_token)
    assert status == 200 and "提问人" in text and "已回答" in text, text
    status, _ = await server.call("GET", f"{base}/questions.csv", token=event.host_token)
    assert status == 403


async def test_a_purge_forgets_the_askers_names(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    _, asked = await _ask(server, event, card_id=card["card_id"], name="王五", text="要体检吗")
    await _moderate(server, event, asked["question_id"], event.host_token, action="approve")
    status, _ = await server.call(
        "POST",
        f"/api/events/{event.id}/state",
        token=event.host_token,
        json_body={"state": "ended"},
    )
    assert status == 200
    status, body = await server.call("POST", f"/api/events/{event.id}/purge", token=ADMIN_TOKEN)
    assert status == 200, body
    _, listed = await _list(server, event, event.staff_token)
    assert [(q["name"], q["text"]) for q in listed["questions"]] == [(None, "要体检吗")]
    shown = await server.app[QUESTIONS].shown(event.id, card["card_id"])
    assert [(q["name"], q["text"]) for q in shown] == [("", "要体检吗")]
    status, _ = await _ask(server, event, card_id=card["card_id"], text="还在吗")
    assert status == 409


async def test_an_overlay_socket_cannot_ask(server: LiveServer) -> None:
    event = await server.create_event()
    card = await server.push(event, "j1")
    assert server.session is not None
    ws = await server.session.ws_connect(f"{server.url}/ws/events/{event.id}?role=overlay")
    overlay = ViewerClient(ws)
    await overlay.next_of("hello")
    refused = await _ask_ws(overlay, card["card_id"])
    assert refused["type"] == "error" and refused["code"] == "forbidden", refused
    _, listed = await _list(server, event, event.staff_token)
    assert listed["questions"] == []
    await overlay.close()


async def test_the_openapi_document_lists_the_question_routes(server: LiveServer) -> None:
    status, doc = await server.call("GET", "/api/openapi.json")
    assert status == 200
    assert set(doc["paths"]["/api/events/{event_id}/questions"]) == {"get", "post"}
    assert "post" in doc["paths"]["/api/events/{event_id}/questions/{question_id}"]
