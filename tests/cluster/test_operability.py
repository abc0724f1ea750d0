"""/metrics per node, and JSON log lines that carry request ids and no personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable

from liveevent.logs import REQUEST_ID, JsonFormatter
from tests.support import LiveServer


async def test_metrics_count_pushes_and_applies_per_node(
    server: LiveServer, make_server: Callable[..., Awaitable[LiveServer]]
) -> None:
    other = await make_server(node_id="node-b")
    event = await server.create_event()
    viewer = await other.viewer(event)
    await viewer.next()
    await server.push(event, "j1")
    await viewer.next_of("card")
    for index in range(3):
        status, _ = await other.apply(event, "j1", f"1350000{index:04d}")
        assert status == 201
    status, text = await other.call("GET", "/metrics")
    assert status == 200
    lines = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert lines['liveevent_viewers{node="node-b"}'] == 1
    assert lines['liveevent_fanouts_total{node="node-b"}'] >= 1
    assert lines['liveevent_applications_total{node="node-b"}'] == 3
    assert lines['liveevent_apply_ack_seconds_count{node="node-b"}'] == 3
    assert lines['liveevent_fanout_seconds_count{node="node-b"}'] >= 1
    assert 'liveevent_store_errors_total{node="node-b",path="apply"}' in lines
    await viewer.close()


def test_json_log_line_has_request_id_and_no_personal_data() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(node="web1-8080"))
    logger = logging.getLogger("liveevent.test.jsonlog")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("req-42")
    try:
        logger.warning("request %s failed: %s", "req-42", "store_unavailable")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["request_id"] == "req-42" and entry["node"] == "web1-8080"
    assert entry["level"] == "warning" and entry["msg"].endswith("store_unavailable")
    assert set(entry) == {"ts", "level", "logger", "msg", "node", "request_id"}
