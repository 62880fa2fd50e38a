"""Throughput and latency summaries for ``kctl perf`` (nearest-rank percentiles)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

# A rate over less time than this is noise, not a measurement: -n 1, or a few records that
# came in one fetch, gave "1000000000.0 records/s". Such rates are None (JSON null, table -).
MIN_TIMED_SECONDS = 0.001


@dataclass(frozen=True)
class PerfSummary:
    records: int
    bytes: int
    seconds: float
    records_per_sec: float | None  # None: too little time was measured to give a rate
    mb_per_sec: float | None  # MiB/s, as Kafka's perf tools print "MB/sec"
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


def summarize(
    records: int,
    nbytes: int,
    seconds: float,
    latencies_ms: list[float],
    *,
    timed_records: int | None = None,
    timed_bytes: int | None = None,
) -> PerfSummary:
    """The summary of ``records`` (``nbytes``); rates are ``timed_records`` and
    ``timed_bytes`` (default: all) over ``seconds``, the records the clock covered when the
    first one started it, and None when ``seconds`` is too short to measure."""
    timed_records = records if timed_records is None else timed_records
    timed_bytes = nbytes if timed_bytes is None else timed_bytes
    measured = seconds >= MIN_TIMED_SECONDS
    lat = sorted(latencies_ms)
    have = bool(lat)
    return PerfSummary(
        records=records,
        bytes=nbytes,
        seconds=round(seconds, 3),
        records_per_sec=round(timed_records / seconds, 1) if measured else None,
        mb_per_sec=round(timed_bytes / seconds / (1024 * 1024), 2) if measured else None,
        latency_avg_ms=round(sum(lat) / len(lat), 2) if have else None,
        latency_p50_ms=round(percentile(lat, 50), 2) if have else None,
        latency_p95_ms=round(percentile(lat, 95), 2) if have else None,
        latency_p99_ms=round(percentile(lat, 99), 2) if have else None,
        latency_max_ms=round(lat[-1], 2) if have else None,
    )
