from __future__ import annotations

import pytest

from kctl.perf_stats import percentile, summarize


def test_percentiles_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.0], 95) == 7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_rates_and_empty_latencies():
    s = summarize(1000, 1024 * 1024, 2.0, [1.0, 2.0, 3.0, 10.0])
    assert s.records_per_sec == 500 and s.mb_per_sec == 0.5
    assert (s.latency_avg_ms, s.latency_p50_ms, s.latency_max_ms) == (4.0, 2.0, 10.0)
    assert summarize(0, 0, 0.0, []).latency_p99_ms is None


def test_rates_count_the_timed_records_and_need_measurable_time():
    # The first record started the clock: 100 records, 99 of them (99 bytes) timed over 1 s.
    s = summarize(100, 100, 1.0, [], timed_records=99, timed_bytes=99)
    assert (s.records, s.bytes, s.records_per_sec) == (100, 100, 99.0)
    # -n 1 measured nothing: no rate rather than 1e9 records/s
    one = summarize(1, 100, 0.0, [5.0], timed_records=0, timed_bytes=0)
    assert one.records_per_sec is None and one.mb_per_sec is None
    assert one.latency_p50_ms == 5.0
    assert summarize(3, 300, 0.0002, []).records_per_sec is None
    assert summarize(3, 300, 0.002, []).records_per_sec == 1500.0
