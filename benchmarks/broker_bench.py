#!/usr/bin/env python3
"""Broker figures the peer benchmark does not give: start-up time (empty, after a clean stop
and after kill -9 with data to recover), resident memory under load, and produce/consume rates
of this broker alone.

Usage: python benchmarks/broker_bench.py [--records 300000] [--size 100]
For the side-by-side comparison with Tansu run benchmarks/peer.sh.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.harness import BrokerProcess


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed_start(b: BrokerProcess) -> float:
    t0 = time.perf_counter()
    b.start()
    return time.perf_counter() - t0


def produce(bs: str, topic: str, n: int, size: int) -> float:
    p = Producer({"bootstrap.servers": bs, "linger.ms": 5, "batch.size": 1_000_000,
                  "queue.buffering.max.messages": 1_000_000, "acks": "all"})
    value = b"x" * size
    t0 = time.perf_counter()
    for i in range(n):
        while True:
            try:
                p.produce(topic, value=value, key=str(i % 1000).encode())
                break
            except BufferError:
                p.poll(0.005)
    if p.flush(120):
        raise RuntimeError("produce did not complete")
    return n / (time.perf_counter() - t0)


def consume(bs: str, topic: str, n: int) -> float:
    c = Consumer({"bootstrap.servers": bs, "group.id": "bench", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got, t0 = 0, time.perf_counter()
    while got < n:
        got += sum(1 for m in c.consume(10000, 1.0) if not m.error())
    dt = time.perf_counter() - t0
    c.close()
    return n / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=300_000)
    ap.add_argument("--size", type=int, default=100)
    args = ap.parse_args()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        b = BrokerProcess(Path(tmp) / "data")
        try:
            out["start-up, empty (s)"] = timed_start(b)
            out["RSS idle (MB)"] = rss_mb(b.proc.pid)
            admin = AdminClient({"bootstrap.servers": b.bootstrap})  # kept: a dropped one aborts
            admin.create_topics([NewTopic("bench", 1, 1)])["bench"].result(15)
            out["produce (msg/s)"] = produce(b.bootstrap, "bench", args.records, args.size)
            out["consume (msg/s)"] = consume(b.bootstrap, "bench", args.records)
            out["RSS after load (MB)"] = rss_mb(b.proc.pid)
            b.stop()
            out["start-up after clean stop (s)"] = timed_start(b)
            b.stop(signal.SIGKILL)
            out["start-up after kill -9 (s)"] = timed_start(b)
        finally:
            b.stop()  # also when a step failed: no broker is left running
    width = max(len(k) for k in out)
    for k, v in out.items():
        print(f"{k:{width}}  {v:12,.3f}")
    print(json.dumps(out), file=sys.stderr)


if __name__ == "__main__":
    main()
