"""Counters the broker keeps about itself; the admin endpoint exposes them (issue 3).

Only what the request path updates lives here, as plain integers and bucket counts: updating
them costs a few additions per request. Figures that can be read from the broker's state when
scraped (partitions, log sizes, connections, retention and cleaner statistics) are not copied
here; broker/admin_http/exposition.py reads them at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

# Seconds; produce is sub-millisecond to fsync-bound, fetch includes its long-poll wait.
LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


@dataclass
class Histogram:
    """Counts per bucket (upper bounds inclusive, as Prometheus' ``le``) and the sum."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS_S
    counts: list[int] = field(default_factory=list)
    total: float = 0.0

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.bounds) + 1)  # the last one is +Inf

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations <= it) for each bucket, +Inf last."""
        out, running = [], 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


@dataclass
class Metrics:
    requests: Counter[int] = field(default_factory=Counter)  # per API key
    bytes_in: int = 0  # request frames, size prefix included
    bytes_out: int = 0  # response frames
    produced_bytes: int = 0  # record batches appended
    latency: dict[int, Histogram] = field(default_factory=dict)  # per API key, timed ones only
    retention_deleted: Counter[tuple[str, int]] = field(default_factory=Counter)  # segments

    def request(self, api_key: int, size: int) -> None:
        self.requests[api_key] += 1
        self.bytes_in += size + 4

    def response(self, api_key: int, size: int) -> None:
        self.bytes_out += size

    def handled(self, api_key: int, seconds: float) -> None:
        """Time from a decoded request to the handler's answer (Fetch includes its wait)."""
        hist = self.latency.get(api_key)
        if hist is None:
            hist = self.latency[api_key] = Histogram()
        hist.observe(seconds)

    def produced(self, size: int) -> None:
        self.produced_bytes += size

    def retention_deleted_segments(self, topic: str, partition: int, n: int) -> None:
        self.retention_deleted[(topic, partition)] += n
