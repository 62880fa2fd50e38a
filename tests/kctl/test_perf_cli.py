"""`kctl perf produce|consume` print real numbers, as text and as JSON."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

from confluent_kafka import Producer

from tests.kctl.kctl_cli import signalled
from tests.kctl.records_cli import KCTL, end_offset, kctl_env, new_topic, run


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


def test_perf_consume_of_one_record_gives_no_rate(shared_broker, tmp_path):
    # One record starts the clock and ends the run: no time was measured, so the rates are
    # null (table: -), not 1000000000.0 records/s.
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "perf-one")
    fill(bs, t, 3)
    res = run(bs, "perf", "consume", t, "-n", "1", "-o", "json", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["records"] == 1 and doc["bytes"] == 3  # key and value
    assert doc["records_per_sec"] is None and doc["mb_per_sec"] is None
    assert doc["latency_max_ms"] is not None
    text = run(bs, "perf", "consume", t, "-n", "1", tmp=tmp_path)
    assert text.returncode == 0, text.stderr
    assert re.match(rb"1 records consumed in [\d.]+ s: - records/s, - MB/s; latency", text.stdout)


def test_sigterm_mid_perf_produce_prints_the_summary_and_exits_143(shared_broker, tmp_path):
    # `timeout 60 kctl perf produce ...`: as with `kctl produce`, what was sent is delivered
    # and counted, the summary printed, exit 143 (it died on the spot with no output).
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "perf-term")
    r = signalled(
        [*KCTL, "perf", "produce", t, "-n", "5000", "--throughput", "200", "-s", "10",
         "-o", "json"],
        ready=lambda _: end_offset(bs, t) >= 50, what="the first records", sig=signal.SIGTERM,
        timeout=60, env=kctl_env(tmp_path, bs),
    )
    assert r.returncode == 143, r.stderr
    assert b"Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    written = end_offset(bs, t)
    assert 50 <= doc["records"] == written < 5000
    assert doc["bytes"] == 10 * written and doc["records_per_sec"] > 0


def test_sigterm_stops_perf_consume_with_its_summary_and_exit_143(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "perf-term-c")  # empty: it waits for records until signalled
    r = signalled(
        [*KCTL, "perf", "consume", t, "-n", "10", "--idle-timeout", "120", "-o", "json"],
        # SIGTERM only once kctl catches it (before that Python's default kills the process)
        ready=lambda proc: catches_sigterm(proc.pid), what="kctl to catch SIGTERM",
        sig=signal.SIGTERM, env=kctl_env(tmp_path, bs),
    )
    assert r.returncode == 143, r.stderr
    assert b"Traceback" not in r.stderr and b"no records read" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["records"] == 0 and doc["records_per_sec"] is None


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a handler for SIGTERM (Linux: SigCgt in /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1],
                 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def fill(bs: str, topic: str, count: int) -> None:
    p = Producer({"bootstrap.servers": bs})
    for i in range(count):
        p.produce(topic, key=b"k", value=b"v%d" % i, partition=0)
    assert p.flush(30) == 0


