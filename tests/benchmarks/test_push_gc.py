"""The push harness reads the server's garbage collection pauses from /metrics.

Against a real liveevent server on loopback (in this process, so a ``gc.collect()`` here is
one of the server's full collections), and the report keeps figures only some targets have.
"""

from __future__ import annotations

import gc

from benchmarks import push, report
from tests.support import LiveServer


async def test_full_collections_are_counted_from_metrics(server: LiveServer) -> None:
    assert server.session is not None
    start = await push.gc_snapshot(server.session, server.url)
    joined = await push.gc_snapshot(server.session, server.url)
    gc.collect()
    gc.collect()
    end = await push.gc_snapshot(server.session, server.url)
    figures = push.gc_figures(start, joined, end)
    assert figures["server full GCs pushing"] >= 2
    assert figures["server GC ms pushing"] > 0
    assert figures["server longest full GC ms"] > 0
    assert push.gc_figures(start, None, end) == {}  # a peer without them: no figures


def test_a_figure_only_the_subject_has_gets_a_row() -> None:
    results = {
        "floor": {"worst push p99 ms": 90.0},
        "liveevent": {"worst push p99 ms": 80.0, "server full GCs pushing": 0.0},
    }
    rows = report.rows(results)
    row = next(r for r in rows if r[0] == "server full GCs pushing")
    assert row[1:3] == ["-", "0"]  # the floor has none
