"""Throughput and latency summaries for ``kctl perf`` (nearest-rank percentiles)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PerfSummary:
    records: int
    bytes: int
    seconds: float
    records_per_sec: float
    mb_per_sec: float  # MiB/s, as Kafka's perf tools print "MB/sec"
    latency_avg_ms: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (pct in (0, 100])."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(math.ceil(pct / 100 * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def summarize(records: int, nbytes: int, seconds: float, latencies_ms: list[float]) -> PerfSummary:
    secs = max(seconds, 1e-9)
    lat = sorted(latencies_ms)
    have = bool(lat)
    return PerfSummary(
        records=records,
        bytes=nbytes,
        seconds=round(seconds, 3),
        records_per_sec=round(records / secs, 1),
        mb_per_sec=round(nbytes / secs / (1024 * 1024), 2),
        latency_avg_ms=round(sum(lat) / len(lat), 2) if have else None,
        latency_p50_ms=round(percentile(lat, 50), 2) if have else None,
        latency_p95_ms=round(percentile(lat, 95), 2) if have else None,
        latency_p99_ms=round(percentile(lat, 99), 2) if have else None,
        latency_max_ms=round(lat[-1], 2) if have else None,
    )
