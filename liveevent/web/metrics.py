"""``GET /metrics``: this node's figures in the Prometheus text format.

Every series carries a ``node`` label (the hub's node id), so one dashboard can sum or compare
the nodes behind a load balancer. Counters that move on hot paths (applications, pushes) are
plain integers kept by the objects doing the work and read when Prometheus scrapes; only the
two latency histograms are observed as things happen, once per push and once per application.
Garbage collection pauses (``liveevent_gc_pause_seconds``, by generation) are timed by
``gcpolicy.GcPauses`` from ``gc.callbacks`` and read at scrape time too.
The registry is this app's own (not the process-wide default), so several apps in one process,
as in the tests, do not collide.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from liveevent.store.applications import ApplicationLog
from liveevent.store.connect import StoreConnection
from liveevent.store.ingest import ApplicationIngest
from liveevent.web.gcpolicy import GENERATIONS, PAUSE_BUCKETS_S, GcPauses
from liveevent.web.hub import Hub

METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST
FANOUT_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
ACK_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """This node's metrics; wires itself to the hub's and the ingest's hooks.

    Prometheus metrics in their own registry, every one labelled with the hub's ``node``;
    ``render`` gives the text exposition format. Times are in seconds (Prometheus naming).
    Constructing it replaces the hub's ``on_fanout`` and the ingest's ``on_batch`` hooks; it raises
    nothing.
    """

    def __init__(
        self,
        *,
        hub: Hub,
        ingest: ApplicationIngest,
        applications: ApplicationLog,
        conn: StoreConnection,
    ) -> None:
        self.node = hub.node_id
        self.registry = CollectorRegistry(auto_describe=True)
        self.fanouts = 0
        self.deliveries = 0
        self.apply_errors = 0
        self.request_errors = 0
        # This process's collections; installed in gc.callbacks while the app runs (app.py).
        self.gc_pauses = GcPauses()
        self._fanout = Histogram(
            "liveevent_fanout_seconds",
            "Time to hand one timeline message to every local viewer",
            ["node"],
            buckets=FANOUT_BUCKETS_S,
            registry=self.registry,
        ).labels(self.node)
        self._ack = Histogram(
            "liveevent_apply_ack_seconds",
            "From an application's arrival to its acknowledgement (stored and fsynced)",
            ["node"],
            buckets=ACK_BUCKETS_S,
            registry=self.registry,
        ).labels(self.node)
        self.registry.register(_Collector(self, hub, ingest, applications, conn))
        hub.on_fanout = self.fanout
        ingest.on_batch = self.batch

    def fanout(self, viewers: int, seconds: float) -> None:
        """The hub's hook: one message handed to ``viewers`` viewers in ``seconds``.

        Returns None; raises nothing.
        """
        self.fanouts += 1
        self.deliveries += viewers
        self._fanout.observe(seconds)

    def batch(self, latencies: list[float], errors: int) -> None:
        """The ingest's hook, once per batch: each stored application's arrival-to-ack
        seconds, and how many got a store error. Returns None; raises nothing."""
        for seconds in latencies:
            self._ack.observe(seconds)
        self.apply_errors += errors

    def render(self) -> bytes:
        """Every metric in the Prometheus text exposition format, in the version that
        ``METRICS_CONTENT_TYPE`` names, as UTF-8. Raises nothing of its own."""
        return generate_latest(self.registry)


class _Collector(Collector):
    """Reads the plain counters at scrape time."""

    def __init__(
        self,
        metrics: Metrics,
        hub: Hub,
        ingest: ApplicationIngest,
        applications: ApplicationLog,
        conn: StoreConnection,
    ) -> None:
        self._m = metrics
        self._hub = hub
        self._ingest = ingest
        self._applications = applications
        self._conn = conn

    def collect(
        self,
    ) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        node = [self._m.node]
        gauges = {
            "liveevent_viewers": ("Viewers connected to this node", self._hub.viewer_count),
            "liveevent_events_tailed": ("Events this node tails", len(self._hub.channels)),
        }
        for name, (doc, value) in gauges.items():
            gauge = GaugeMetricFamily(name, doc, labels=["node"])
            gauge.add_metric(node, value)
            yield gauge
        redirects = self._conn.batches.redirects if self._conn.batches is not None else 0
        counters = {
            "liveevent_fanouts": (
                "Timeline messages (cards, withdrawals, state changes) fanned out by this node",
                self._m.fanouts,
            ),
            "liveevent_fanout_deliveries": (
                "Timeline messages written to viewers",
                self._m.deliveries,
            ),
            "liveevent_applications": ("Applications acknowledged", self._ingest.applied),
            "liveevent_apply_batches": ("Batches sent to the store", self._ingest.batches),
        }
        for name, (doc, value) in counters.items():
            family = CounterMetricFamily(name, doc, labels=["node"])
            family.add_metric(node, value)
            yield family
        errors = CounterMetricFamily(
            "liveevent_store_errors", "Store failures seen", labels=["node", "path"]
        )
        errors.add_metric([*node, "apply"], self._m.apply_errors)
        errors.add_metric([*node, "request"], self._m.request_errors)
        yield errors
        retries = CounterMetricFamily(
            "liveevent_store_retries", "Store calls sent again", labels=["node", "reason"]
        )
        retries.add_metric([*node, "reconnect"], self._applications.retries)
        retries.add_metric([*node, "cluster_redirect"], redirects)
        yield retries
        corrupt = CounterMetricFamily(
            "liveevent_corrupt_entries",
            "Timeline entries skipped because they could not be decoded",
            labels=["node", "path"],
        )
        for path, value in self._hub.corrupt_entries.items():
            corrupt.add_metric([*node, path], value)
        yield corrupt
        yield from self._gc(node)

    def _gc(self, node: list[str]) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        pauses = self._m.gc_pauses
        histogram = HistogramMetricFamily(
            "liveevent_gc_pause_seconds",
            "Garbage collections of this process by generation (2 = full), and how long each "
            "stopped it",
            labels=["node", "generation"],
        )
        longest = GaugeMetricFamily(
            "liveevent_gc_pause_longest_seconds",
            "The longest garbage collection pause of this process so far, by generation",
            labels=["node", "generation"],
        )
        for generation in range(GENERATIONS):
            labels = [*node, str(generation)]
            cumulative, buckets = 0, []
            for bound, count in zip(PAUSE_BUCKETS_S, pauses.buckets[generation], strict=True):
                cumulative += count
                buckets.append((repr(bound), cumulative))
            buckets.append(("+Inf", pauses.counts[generation]))
            histogram.add_metric(labels, buckets, sum_value=pauses.seconds[generation])
            longest.add_metric(labels, pauses.longest[generation])
        yield histogram
        yield longest
