"""The client's address behind proxies (issue 12, item 1).

The rule (web/proxies.py): from a trusted peer, the right-most forwarded address that is not a
trusted proxy; from any other peer the headers count for nothing. A table holds the cases,
then a real server shows every per-address rule (apply limit, socket cap) using it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from liveevent.config import load_settings
from liveevent.errors import InvalidInput
from liveevent.web.proxies import (
    FORWARDED,
    X_FORWARDED_FOR,
    address_key,
    resolve,
    trusted_networks,
)
from tests.reliability.support import next_phone
from tests.support import LiveServer

MakeServer = Callable[..., Awaitable[LiveServer]]

PROXIES = trusted_networks(("10.0.0.0/8", "192.0.2.1", "2001:db8:ffff::/48"))

# (peer, X-Forwarded-For lines, expected client)
XFF_CASES = [
    # no proxy in the way: the peer, whatever it sends
    ("203.0.113.9", [], "203.0.113.9"),
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),  # forged by an untrusted peer: ignored
    ("203.0.113.9", ["10.0.0.1"], "203.0.113.9"),
    ("2001:db8:1::9", ["1.2.3.4"], "2001:db8:1::9"),
    # one trusted proxy
    ("10.0.0.5", ["198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", [" 198.51.100.7 "], "198.51.100.7"),
    ("10.0.0.5", [], "10.0.0.5"),  # no header: the proxy itself
    ("192.0.2.1", ["198.51.100.7"], "198.51.100.7"),
    ("192.0.2.2", ["198.51.100.7"], "192.0.2.2"),  # a neighbour of the proxy is not trusted
    # the client forged entries to the left: the right-most untrusted one wins
    ("10.0.0.5", ["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", ["10.9.9.9, 198.51.100.7"], "198.51.100.7"),  # forged "trusted" entry
    ("10.0.0.5", ["1.1.1.1, 2.2.2.2, 3.3.3.3, 198.51.100.7"], "198.51.100.7"),
    # a chain of trusted proxies (CDN -> nginx -> us)
    ("10.0.0.5", ["198.51.100.7, 10.1.1.1"], "198.51.100.7"),
    ("10.0.0.5", ["6.6.6.6, 198.51.100.7, 192.0.2.1, 10.1.1.1"], "198.51.100.7"),
    ("10.0.0.5", ["10.2.2.2, 10.1.1.1"], "10.2.2.2"),  # all trusted: the left-most
    # several header lines are one list, in order
    ("10.0.0.5", ["6.6.6.6", "198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", ["198.51.100.7", "10.1.1.1"], "198.51.100.7"),
    # ports, as some proxies write them
    ("10.0.0.5", ["198.51.100.7:5555"], "198.51.100.7"),
    ("10.0.0.5", ["[2001:db8:1::7]:5555"], "2001:db8:1::7"),
    # IPv6: canonical text, so that one address is one bucket however it is written
    ("10.0.0.5", ["2001:DB8:1:0:0:0:0:7"], "2001:db8:1::7"),
    ("10.0.0.5", ["2001:db8:1::7, 2001:db8:ffff::1"], "2001:db8:1::7"),
    ("2001:db8:ffff::2", ["2001:db8:1::7"], "2001:db8:1::7"),
    ("::ffff:10.0.0.5", ["::ffff:198.51.100.7"], "198.51.100.7"),  # IPv4-mapped
    # malformed right-most entry: the last trusted hop stands for the client, never the
    # garbage and never a forged address to its left
    ("10.0.0.5", ["6.6.6.6, garbage"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, unknown"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6,"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, 999.1.1.1"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, [2001:db8::1"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, [2001:db8::1]x"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, 1.2.3.4/8"], "10.0.0.5"),
    ("10.0.0.5", ["6.6.6.6, garbage, 10.1.1.1"], "10.1.1.1"),
    ("10.0.0.5", ["\u0661.2.3.4"], "10.0.0.5"),  # Arabic-Indic digit
    ("10.0.0.5", ["198.51.100.7 198.51.100.8"], "10.0.0.5"),
]

# (peer, Forwarded lines, expected client)
FORWARDED_CASES = [
    ("10.0.0.5", ["for=198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", ["For=198.51.100.7;proto=https;by=10.0.0.5"], "198.51.100.7"),
    ("10.0.0.5", ['for="[2001:db8:1::7]:4711"'], "2001:db8:1::7"),
    ("10.0.0.5", ["for=6.6.6.6, for=198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", ["for=6.6.6.6", "for=198.51.100.7"], "198.51.100.7"),
    ("10.0.0.5", ["for=198.51.100.7, for=10.1.1.1"], "198.51.100.7"),
    ("10.0.0.5", ['for=6.6.6.6;host="a,b", for=198.51.100.7'], "198.51.100.7"),
    # obfuscated and unknown nodes (RFC 7239 section 6): the last trusted hop
    ("10.0.0.5", ["for=6.6.6.6, for=_hidden"], "10.0.0.5"),
    ("10.0.0.5", ['for=6.6.6.6, for="_SEVKISEK"'], "10.0.0.5"),
    ("10.0.0.5", ["for=6.6.6.6, for=unknown"], "10.0.0.5"),
    ("10.0.0.5", ["for=6.6.6.6, proto=https"], "10.0.0.5"),  # an element without for=
    ("10.0.0.5", ["garbage"], "10.0.0.5"),
    ("203.0.113.9", ["for=198.51.100.7"], "203.0.113.9"),  # untrusted peer: ignored
]


@pytest.mark.parametrize(("peer", "lines", "expected"), XFF_CASES)
def test_x_forwarded_for(peer: str, lines: list[str], expected: str) -> None:
    assert resolve(peer, lines, PROXIES, header=X_FORWARDED_FOR) == expected


@pytest.mark.parametrize(("peer", "lines", "expected"), FORWARDED_CASES)
def test_forwarded(peer: str, lines: list[str], expected: str) -> None:
    assert resolve(peer, lines, PROXIES, header=FORWARDED) == expected


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),  # the same phone, another of its addresses
        ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::9", "2001:db8:1:3::/64"),  # the next /64: someone else
        ("::1", "::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),  # IPv4-mapped: the IPv4 address
        ("unknown", "unknown"),
    ],
)
def test_address_key(address: str, key: str) -> None:
    assert address_key(address) == key


def test_no_trusted_proxies_means_the_peer() -> None:
    assert resolve("10.0.0.5", ["198.51.100.7"], ()) == "10.0.0.5"
    assert resolve(None, ["198.51.100.7"], PROXIES) == "unknown"


def test_a_forged_list_costs_little() -> None:
    forged = ", ".join(["1.2.3.4"] * 100_000)
    assert resolve("10.0.0.5", [forged + ", 198.51.100.7"], PROXIES) == "198.51.100.7"


def test_settings() -> None:
    env = {"LIVEEVENT_TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16 ,2001:db8::/32,"}
    settings = load_settings(environ=env)
    assert settings.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "2001:db8::/32")
    assert settings.forwarded_header == "x-forwarded-for"
    assert load_settings(overrides={"forwarded_header": "Forwarded"}).forwarded_header == FORWARDED
    for name, value in [
        ("trusted_proxies", "10.0.0.5,nginx.local"),
        ("trusted_proxies", "10.0.0.0/33"),
        ("forwarded_header", "x-real-ip"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            load_settings(overrides={name: value})
        assert bad.value.fields == {name: "invalid"}


async def _apply(server: LiveServer, event_id: str, forwarded_for: str) -> int:
    status, _ = await server.call(
        "POST",
        f"/api/events/{event_id}/applications",
        json_body={"job_id": "j1", "name": "张三", "phone": next_phone()},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return status


async def test_apply_limit_counts_the_forwarded_client(make_server: MakeServer) -> None:
    # Behind a trusted proxy, three applicants at three addresses are three allowances ...
    server = await make_server(
        trusted_proxies=("127.0.0.1",), apply_rate_per_ip=2, apply_rate_per_viewer=0
    )
    event = await server.create_event()
    statuses = [await _apply(server, event.id, f"198.51.100.{n}") for n in (1, 1, 2, 2, 3)]
    assert statuses == [201, 201, 201, 201, 201]
    # ... and one applicant cannot escape its limit by forging entries to the left.
    forged = [await _apply(server, event.id, f"6.6.6.{n}, 198.51.100.1") for n in range(3)]
    assert forged == [429, 429, 429]
    assert await _apply(server, event.id, "198.51.100.4") == 201  # nobody else locked out
    assert (await server.stats(event))["applications"] == 6

    # An IPv6 phone may use any address of its /64: they are one allowance.
    statuses = [await _apply(server, event.id, f"2001:db8:5:6::{n}") for n in range(1, 4)]
    assert statuses == [201, 201, 429]
    assert await _apply(server, event.id, "2001:db8:5:7::1") == 201  # the next /64

    # From a peer that is not a trusted proxy the header counts for nothing.
    other = await make_server(
        trusted_proxies=("10.0.0.0/8",), apply_rate_per_ip=2, apply_rate_per_viewer=0
    )
    event = await other.create_event()
    statuses = [await _apply(other, event.id, f"198.51.100.{n}") for n in range(4)]
    assert statuses == [201, 201, 429, 429]


async def test_socket_cap_counts_the_forwarded_client(make_server: MakeServer) -> None:
    server = await make_server(trusted_proxies=("127.0.0.0/8",), max_sockets_per_ip=1)
    event = await server.create_event()
    assert server.session is not None
    url = f"{server.url}/ws/events/{event.id}"
    sockets = []
    for n in range(3):  # three phones behind the proxy: one socket each
        ws = await server.session.ws_connect(url, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        sockets.append(ws)
    # A second socket from the same phone is over its cap, forged prefix or not.
    extra = await server.session.ws_connect(
        url, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.0"}
    )
    message = await extra.receive(timeout=5)
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert message.data == aiohttp.WSCloseCode.POLICY_VIOLATION
    for ws in sockets:
        await ws.close()


async def test_carrier_nat_is_not_locked_out(make_server: MakeServer) -> None:
    """The issue's reproduction: 700 applications in a minute from one shared address (a
    carrier NAT, or nginx without trusted_proxies) were 600 x 201 then 429 for everyone. The
    per-address limit is now a ceiling far above that; the per-viewer limit is the rule."""
    server = await make_server()  # the default limits
    event = await server.create_event()

    async def burst(first: int) -> list[int]:
        return [await _apply(server, event.id, "198.51.100.1") for _ in range(first, first + 70)]

    results = await asyncio.gather(*(burst(n * 70) for n in range(10)))
    statuses = [status for result in results for status in result]
    assert statuses.count(201) == 700
