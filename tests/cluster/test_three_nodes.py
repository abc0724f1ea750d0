"""Three nodes on three ports and one store (one Redis, or a cluster): any node serves any call."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable

from tests.support import LiveServer, ViewerClient

NodeFactory = Callable[..., Awaitable[LiveServer]]


async def three_nodes(server: LiveServer, make_server: NodeFactory) -> list[LiveServer]:
    return [server, await make_server(node_id="b"), await make_server(node_id="c")]


async def test_push_on_a_reaches_viewers_on_b_and_c(
    server: LiveServer, make_server: NodeFactory
) -> None:
    nodes = await three_nodes(server, make_server)
    event = await server.create_event()
    viewers: list[ViewerClient] = []
    for index in range(30):  # spread over the nodes, as a load balancer would
        viewers.append(await nodes[index % 3].viewer(event))
    for viewer in viewers:
        assert (await viewer.next())["type"] == "hello"
    pushed = await nodes[0].push(event, "j2")
    cards = await asyncio.gather(*(v.next_of("card") for v in viewers))
    assert {c["card"]["card_id"] for c in cards} == {pushed["card_id"]}
    assert {c["cursor"] for c in cards} == {pushed["cursor"]}
    # Every node counts every node's viewers (each reports its own under a short TTL).
    for node in nodes:
        assert await wait_for_viewers(node, event, 30) == 30
    for viewer in viewers:
        await viewer.close()


async def wait_for_viewers(node: LiveServer, event: object, expected: int) -> int:
    seen = -1
    for _ in range(100):
        seen = int((await node.stats(event))["viewers_online"])  # type: ignore[arg-type]
        if seen == expected:
            return seen
        await asyncio.sleep(0.1)
    return seen


async def test_applications_on_c_show_on_a(server: LiveServer, make_server: NodeFactory) -> None:
    a, _b, c = await three_nodes(server, make_server)
    event = await a.create_event()
    await a.push(event, "j1")
    viewer = await c.viewer(event)
    await viewer.next()
    for index in range(20):
        status, _ = await c.apply(event, "j1", f"1390000{index:04d}", name=f"申请人{index}")
        assert status == 201
    await viewer.send(
        {"type": "apply", "ref": "r", "job_id": "j3", "name": "李四", "phone": "13711112222"}
    )
    assert (await viewer.next_of("applied"))["duplicate"] is False
    stats = await a.stats(event)
    assert stats["applications"] == 21 and stats["applicants"] == 21
    jobs = {j["job_id"]: j["applications"] for j in stats["jobs"]}
    assert jobs == {"j1": 20, "j2": 0, "j3": 1}
    status, text = await a.call(
        "GET", f"/api/events/{event.id}/export/applications.csv?form=raw", token=event.staff_token
    )
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 21 and {r["phone"] for r in rows} >= {"13711112222"}
    # A duplicate through another node is still one application.
    status, body = await a.apply(event, "j1", "13900000003")
    assert status == 200 and body["duplicate"] is True
    await viewer.close()


async def test_per_address_limit_holds_across_nodes(
    server: LiveServer, make_server: NodeFactory
) -> None:
    nodes = [await make_server(node_id=f"n{i}", apply_rate_per_ip=6) for i in range(3)]
    event = await server.create_event()
    statuses = []
    for index in range(9):  # three per node: each node alone would allow them all
        status, _ = await nodes[index % 3].apply(event, "j1", f"1380000{index:04d}")
        statuses.append(status)
    assert statuses.count(201) == 6 and statuses.count(429) == 3
