"""An employer's token opens its own page and nothing else: every route of the app, tried.

The routes are read from the app itself, so a route added later is tried too. For each one
(but the employer's own calls): a route that refuses a caller without a token must answer
403 to an employer's token, and a public one must answer the employer exactly as it answers
anyone, with none of another employer's applicants in it. Afterwards nothing has changed:
no card, no state, no status, no job, no export made.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from liveevent.domain.consent import CURRENT_VERSION
from tests.support import Event, LiveServer

JOBS = [
    {"id": "sf1", "employer": "顺丰速运", "title": "快递员", "openings": 5},
    {"id": "nb1", "employer": "宁波港集团", "title": "理货员", "openings": 3},
]
OWN_ROUTES = {"employer_overview", "employer_applications", "employer_status"}
# Follow-up after hire (issue 17.4): its own hires only.
OWN_ROUTES |= {"employer_followups", "employer_record_followup"}
OWN_WRITES = {"employer_status", "employer_record_followup"}
# Routes an employer may call for its own jobs only (issue 17 part 2: questions on the card),
# tried here on the other employer's question: what it must answer.
OWN_JOB_ROUTES = {"list_questions": 200, "moderate_question": 403}
# The other employer's applicant, who must never show.
THEIR_PHONE, THEIR_NAME = "13900009999", "周杰伦"

# A body each state-changing route would act on, if it let the employer through.
BODIES: dict[str, Any] = {
    "create_event": {"title": "x"},
    "upsert_jobs": [{"id": "z1", "employer": "顺丰速运", "title": "新岗位"}],
    "set_state": {"state": "ended"},
    "push_card": {"job_id": "nb1"},
    "set_status": {"status": "hired"},
    "set_status_bulk": {"application_ids": ["{a}"], "status": "hired"},
    "create_employer": {"name": "宁波港集团"},
    "employer_status": {"status": "hired"},
    "employer_record_followup": {"checkpoint": "7d", "result": "left"},
    "record_followup": {"checkpoint": "7d", "result": "left"},
    "create_application": {"job_id": "nb1", "name": "x", "phone": "12"},  # 422 for all
    "moderate_question": {"action": "answer", "answer": "x"},
    "ask_question": {"card_id": "x", "text": ""},  # 422 for all
}
EXPORTS = {
    "export_applications": ["applications.csv"],
    "export_hires": ["hires.csv"],
    "export_table": ["applications.xlsx", "hires.xlsx", "pushes.csv", "workbook.xlsx"],
    "export_checkins": ["checkins.csv", "checkins.xlsx"],
}


def calls(
    app: web.Application, event: Event, theirs: str, question: str = "q"
) -> list[tuple[str, str, str]]:
    """(route name, method, path) for every route, its parameters filled in."""
    out = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None or route.name == "static":
            continue
        name = str(route.name)
        path = route.resource.canonical
        path = path.replace("{event_id}", event.id).replace("{application_id}", theirs)
        path = path.replace("{question_id}", question)
        if name in EXPORTS:
            base = path.split("{table}")[0]
            out += [(name, route.method, base + leaf) for leaf in EXPORTS[name]]
        else:
            out.append((name, route.method, path))
    return out


async def test_an_employer_token_is_refused_everywhere_but_its_own_page(
    server: LiveServer,
) -> None:
    event = await server.create_event(jobs=JOBS)
    await server.push(event, "nb1")
    status, reply = await server.call(
        "POST",
        f"/api/events/{event.id}/employers",
        token=event.staff_token,
        json_body={"name": "顺丰速运"},
    )
    assert status == 201
    sf = reply["token"]
    status, body = await server.apply(
        event,
        "nb1",
        THEIR_PHONE,
        THEIR_NAME,
        consent=True,
        consent_version=CURRENT_VERSION,
        consent_to="宁波港集团",
    )
    assert status == 201
    theirs = body["application_id"]
    # A question about the other employer's job, asked by a viewer who gave its name.
    card = (await server.call("GET", f"/api/events/{event.id}"))[1]["current_card"]
    status, asked = await server.call(
        "POST",
        f"/api/events/{event.id}/questions",
        json_body={"card_id": card["card_id"], "name": THEIR_NAME, "text": "包住吗"},
    )
    assert status == 201, asked
    before = await server.stats(event)

    tried = 0
    for name, method, path in calls(server.app, event, theirs, asked["question_id"]):
        body = BODIES.get(name)
        body = json.loads(json.dumps(body).replace("{a}", theirs)) if body else body
        # Pages that take their token in the query (the overlay) get the employer's there too.
        query = f"?token={sf}" if method == "GET" else ""
        anonymous, _ = await server.call(method, path, json_body=body)
        status, reply = await server.call(method, path + query, token=sf, json_body=body)
        text = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
        assert THEIR_PHONE not in text and THEIR_NAME not in text, (name, path)
        if name in OWN_ROUTES:
            # Its own calls, here on the other employer's application: refused.
            expected = 403 if name in OWN_WRITES else 200
            assert status == expected, (name, status, reply)
        elif name in OWN_JOB_ROUTES:
            assert status == OWN_JOB_ROUTES[name], (name, status, reply)
            if name == "list_questions":
                assert reply["questions"] == [], reply  # none of the other employer's
        elif anonymous in (401, 403):
            assert status == 403, (name, method, path, status, reply)
        else:  # public: the same answer as anyone gets
            assert status == anonymous, (name, method, path, status, anonymous)
        tried += 1
    assert tried >= 30

    # Its socket too: the host socket closes on an employer's token.
    assert server.session is not None
    ws = await server.session.ws_connect(f"{server.url}/ws/host/{event.id}")
    await ws.send_str(json.dumps({"type": "auth", "token": sf}))
    msg = await ws.receive(timeout=5)
    assert ws.close_code == 4401, msg

    # Nothing changed: the same card on screen, the state, no hire, no new job.
    after = await server.stats(event)
    for field in ("cards_pushed", "hires", "state", "current_card", "applications"):
        assert after[field] == before[field], field
    assert len(after["jobs"]) == len(JOBS)
    status, page = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert [row["status"] for row in page["applications"]] == ["applied"]
    status, employers = await server.call(
        "GET", f"/api/events/{event.id}/employers", token=event.staff_token
    )
    assert [row["tokens"] for row in employers["employers"]] == [1, 0]
