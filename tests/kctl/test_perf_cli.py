"""`kctl perf produce|consume` print real numbers, as text and as JSON."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

from tests.harness import wait_for
from tests.kctl.records_cli import KCTL, kctl_env, new_topic, run


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
    proc = subprocess.Popen(
        [*KCTL, "perf", "produce", t, "-n", "5000", "--throughput", "200", "-s", "10",
         "-o", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
    )
    try:
        wait_for(lambda: end_offset(bs, t) >= 50, 30, what="the first records")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert b"Traceback" not in err
    doc = json.loads(out)
    written = end_offset(bs, t)
    assert 50 <= doc["records"] == written < 5000
    assert doc["bytes"] == 10 * written and doc["records_per_sec"] > 0


def test_sigterm_stops_perf_consume_with_its_summary_and_exit_143(shared_broker, tmp_path):
    bs = shared_broker.bootstrap
    t = new_topic(bs, 1, "perf-term-c")  # empty: it waits for records until signalled
    proc = subprocess.Popen(
        [*KCTL, "perf", "consume", t, "-n", "10", "--idle-timeout", "120", "-o", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=kctl_env(tmp_path, bs),
    )
    try:
        # SIGTERM only once kctl catches it (before that Python's default kills the process)
        wait_for(lambda: catches_sigterm(proc.pid), 30, what="kctl to catch SIGTERM")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert b"Traceback" not in err and b"no records read" not in err
    doc = json.loads(out)
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


def end_offset(bs: str, topic: str) -> int:
    c = Consumer({"bootstrap.servers": bs, "group.id": "perf-test"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()
