"""Prometheus text exposition of a broker's metrics, read from its state at scrape time.

Request counters and latency histograms come from ``broker.metrics`` (updated on the request
path); partitions, log sizes, connections and the retention and cleaner statistics are read
from the broker's objects when scraped, so nothing is kept twice. Names use the ``kctl_``
prefix; API names are Kafka's (``Produce``, ``Fetch``, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from broker.protocol.apis import ApiKey

if TYPE_CHECKING:
    from broker.node import Broker

CONTENT_TYPE = CONTENT_TYPE_LATEST


def api_name(key: int) -> str:
    """PRODUCE -> Produce, LIST_OFFSETS -> ListOffsets; unknown keys by number."""
    try:
        return "".join(w.capitalize() for w in ApiKey(key).name.split("_"))
    except ValueError:
        return str(key)


class BrokerCollector:
    """A prometheus_client collector over one Broker."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._partitions()
        yield from self._retention()
        yield from self._cleaner()
        yield from self._fetch_sessions()

    def _requests(self) -> Iterator[Metric]:
        m = self.broker.metrics
        requests = CounterMetricFamily(
            "kctl_requests", "Requests received, per API.", labels=["api"]
        )
        for key, n in sorted(m.requests.items()):
            requests.add_metric([api_name(key)], n)
        yield requests
        yield CounterMetricFamily(
            "kctl_network_in_bytes", "Request bytes received.", value=m.bytes_in
        )
        yield CounterMetricFamily(
            "kctl_network_out_bytes", "Response bytes sent.", value=m.bytes_out
        )
        yield CounterMetricFamily(
            "kctl_produced_bytes", "Record batch bytes appended to logs.", value=m.produced_bytes
        )
        latency = HistogramMetricFamily(
            "kctl_request_latency_seconds",
            "Time from a decoded request to its response, per API (Fetch includes its wait).",
            labels=["api"],
        )
        for key, hist in sorted(m.latency.items()):
            buckets = [(_le(bound), n) for bound, n in hist.cumulative()]
            latency.add_metric([api_name(key)], buckets, hist.total)
        yield latency
        yield GaugeMetricFamily(
            "kctl_connections", "Open client connections.", value=len(self.broker.connections)
        )

    def _partitions(self) -> Iterator[Metric]:
        partitions = dict(self.broker.partitions)
        yield GaugeMetricFamily(
            "kctl_partitions", "Partitions hosted by this broker.", value=len(partitions)
        )
        labels = ["topic", "partition"]
        size = GaugeMetricFamily("kctl_log_size_bytes", "Bytes of a partition log.", labels=labels)
        segments = GaugeMetricFamily("kctl_log_segments", "Segments of a log.", labels=labels)
        start = GaugeMetricFamily("kctl_log_start_offset", "Log start offset.", labels=labels)
        end = GaugeMetricFamily("kctl_log_end_offset", "Log end offset.", labels=labels)
        for (topic, index), p in sorted(partitions.items()):
            lv = [topic, str(index)]
            size.add_metric(lv, p.log.size_bytes)
            segments.add_metric(lv, len(p.log.closed_segments()) + 1)
            start.add_metric(lv, p.log.log_start_offset)
            end.add_metric(lv, p.log.log_end_offset)
        yield from (size, segments, start, end)

    def _retention(self) -> Iterator[Metric]:
        task = self.broker.retention
        if task is None:
            return
        s = task.stats
        yield CounterMetricFamily("kctl_retention_passes", "Retention passes.", value=s.passes)
        yield CounterMetricFamily(
            "kctl_retention_errors", "Retention passes or partitions that failed.", value=s.errors
        )
        yield CounterMetricFamily(
            "kctl_retention_deleted_bytes", "Bytes deleted by retention.", value=s.bytes_deleted
        )
        deleted = CounterMetricFamily(
            "kctl_retention_deleted_segments",
            "Segments deleted by retention, per partition.",
            labels=["topic", "partition"],
        )
        for (topic, index), n in sorted(self.broker.metrics.retention_deleted.items()):
            deleted.add_metric([topic, str(index)], n)
        yield deleted
        yield GaugeMetricFamily(
            "kctl_retention_last_pass_seconds",
            "Duration of the last retention pass.",
            value=s.last_pass_duration_ms / 1000,
        )

    def _cleaner(self) -> Iterator[Metric]:
        cleaner = self.broker.cleaner
        if cleaner is None:
            return
        s = cleaner.stats
        for name, doc, value in (
            ("passes", "Log cleaner passes.", s.passes),
            ("segments_cleaned", "Segments rewritten by the cleaner.", s.segments_cleaned),
            ("read_bytes", "Bytes read by the cleaner.", s.bytes_read),
            ("written_bytes", "Bytes written by the cleaner.", s.bytes_written),
            ("records_removed", "Records removed by compaction.", s.records_removed),
            ("errors", "Cleaner passes that failed.", s.errors),
        ):
            yield CounterMetricFamily(f"kctl_cleaner_{name}", doc, value=value)
        yield GaugeMetricFamily(
            "kctl_cleaner_last_pass_seconds",
            "Duration of the last cleaner pass.",
            value=s.last_pass_duration_ms / 1000,
        )


    def _fetch_sessions(self) -> Iterator[Metric]:
        cache = self.broker.fetch_sessions  # Kafka's FetchSessionCache metrics
        yield GaugeMetricFamily(
            "kctl_fetch_sessions", "Incremental fetch sessions cached (KIP-227).", value=len(cache)
        )
        yield GaugeMetricFamily(
            "kctl_fetch_session_partitions",
            "Partitions held by the cached fetch sessions.",
            value=cache.total_partitions,
        )
        yield CounterMetricFamily(
            "kctl_fetch_session_evictions",
            "Fetch sessions evicted to make room for new ones.",
            value=cache.evictions,
        )


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def registry_for(broker: Broker) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BrokerCollector(broker))  # type: ignore[arg-type]
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
