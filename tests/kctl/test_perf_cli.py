"""`kctl perf produce|consume` print real numbers, as text and as JSON."""

from __future__ import annotations

import json
import re

from tests.kctl.records_cli import new_topic, run


def test_perf_produce_then_consume(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 2, "perf")
    res = run(
        bs,
        "perf",
        "produce",
        t,
        "--num-records",
        "3000",
        "--record-size",
        "64",
        "--acks",
        "1",
        "--linger-ms",
        "2",
        "--batch-size",
        "32768",
        "--compression",
        "lz4",
        "-o",
        "json",
        tmp=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["records"] == 3000 and doc["bytes"] == 3000 * 64
    assert doc["records_per_sec"] > 0 and doc["mb_per_sec"] >= 0
    lat = [doc[f"latency_{k}_ms"] for k in ("p50", "p95", "p99", "max")]
    assert lat == sorted(lat) and lat[0] >= 0

    text = run(bs, "perf", "produce", t, "-n", "500", "--throughput", "1000", tmp=tmp_path)
    assert text.returncode == 0, text.stderr
    line = text.stdout.decode()
    assert re.search(r"500 records produced in [\d.]+ s: [\d.]+ records/s, [\d.]+ MB/s", line)
    assert "p99" in line
    seconds = float(re.search(r"in ([\d.]+) s", line).group(1))
    assert seconds >= 0.45  # 500 records at 1000/s cannot finish much sooner than 0.5 s

    res = run(bs, "perf", "consume", t, "-n", "3500", "-o", "json", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["records"] == 3500 and doc["latency_p50_ms"] is not None


def test_perf_errors(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    res = run(bs, "perf", "produce", "no-such-topic", "-n", "10", tmp=tmp_path)
    assert res.returncode == 4
    t = new_topic(bs, 1, "perf-empty")
    res = run(bs, "perf", "consume", t, "-n", "10", "--idle-timeout", "0.5", tmp=tmp_path)
    assert res.returncode == 1 and b"no records" in res.stderr
