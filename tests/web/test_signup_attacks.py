"""Sign-ups against someone who knows a phone number (review r4): signing up again with
another person's phone tells the caller that phone is signed up (the page says "already signed
up"), but gives nothing that marks that person as watching, so the funnel's show-up rate
cannot be forged from a list of phones. A real server and store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from liveevent.web.appkeys import SIGNUPS
from tests.support import LiveServer
from tests.web.test_signups import go_live, scheduled_event, sign_up


async def test_a_duplicate_sign_up_gives_no_way_to_mark_the_first_one_watched(
    server: LiveServer,
) -> None:
    event = await scheduled_event(server, starts_at=None)
    status, victim = await sign_up(server, event, "13811112222")
    assert status == 201, victim
    status, attacker = await sign_up(server, event, "+86 138 1111 2222", name="某人")
    assert status == 200 and attacker["duplicate"] is True, attacker
    await go_live(server, event)
    leaked = {v for v in attacker.values() if isinstance(v, str) and v.isalnum()}
    for token in leaked:
        await server.call("POST", f"/api/events/{event.id}/signups/{token}/watched", json_body={})
    status, funnel = await server.call(
        "GET", f"/api/events/{event.id}/funnel", token=event.staff_token
    )
    assert status == 200
    assert funnel["watched"] == 0, attacker
    # The person's own page, with the token its first answer gave, still counts.
    path = f"/api/events/{event.id}/signups/{victim['watch_token']}/watched"
    status, body = await server.call("POST", path, json_body={})
    assert (status, body["first"]) == (200, True)


async def test_an_event_takes_at_most_signup_max_per_event_sign_ups(
    make_server: Callable[..., Awaitable[LiveServer]],
) -> None:
    # Nobody proves a phone is theirs: from many addresses, a script could sign up any number
    # of strangers, each then texted up to three times through the organiser's gateway.
    server = await make_server(signup_max_per_event=3)
    event = await scheduled_event(server, starts_at=None)
    for i in range(3):
        status, body = await sign_up(server, event, f"1381111000{i}")
        assert status == 201, body
    status, body = await sign_up(server, event, "13811110009")
    assert status == 409, body
    assert "sign-ups" in body["error"]["message"]
    status, body = await sign_up(server, event, "13811110000")  # still answered as before
    assert (status, body["duplicate"]) == (200, True)
    assert await server.app[SIGNUPS].count(event.id) == 3
