#!/usr/bin/env python3
"""TLS cost: the peer benchmark's librdkafka throughput workloads (../shared/bench/peer_bench.py:
produce and consume 100 B records on 1 partition, 1 KB records on 6 partitions) against one
broker through its PLAINTEXT and its SSL listener, with the SSL/PLAINTEXT ratio.

Usage: python benchmarks/tls_bench.py [--rounds 2] [--quick] [--json FILE]
Needs trustme for the throwaway certificates (pip install -e '.[test]').
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trustme
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.harness import BrokerProcess

# (name, record size, partitions, records at full scale)
WORKLOADS = [("100B x1 part", 100, 1, 500_000), ("1KB x6 parts", 1000, 6, 100_000)]


def start_broker(root: Path) -> tuple[BrokerProcess, dict[str, dict]]:
    ca = trustme.CA()
    server, ca_pem = root / "server.pem", root / "ca.pem"
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(server))
    ca.cert_pem.write_to_path(str(ca_pem))
    broker = BrokerProcess(
        root / "data",
        extra_args=["--set", f"ssl.keystore.location={server}", "--log-level", "WARNING"],
        extra_listeners=["SSL"],
    ).start()
    clients = {
        "PLAINTEXT": {"bootstrap.servers": broker.bootstrap},
        "SSL": {
            "bootstrap.servers": broker.address("SSL"),
            "security.protocol": "SSL",
            "ssl.ca.location": str(ca_pem),
        },
    }
    return broker, clients


def create(conf: dict, topic: str, partitions: int) -> None:
    admin = AdminClient(conf)
    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(15)


def produce(conf: dict, topic: str, n: int, size: int) -> float:
    p = Producer({
        **conf, "acks": "all", "linger.ms": 5, "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000, "enable.idempotence": False,
    })  # fmt: skip
    value = os.urandom(size // 2).hex().encode()[:size]
    errors: list = []
    t0 = time.perf_counter()
    for i in range(n):
        while True:
            try:
                p.produce(topic, value=value, key=str(i % 1000).encode(),
                          on_delivery=lambda e, m: e and errors.append(e))
                break
            except BufferError:
                p.poll(0.005)
    left = p.flush(120)
    dt = time.perf_counter() - t0
    if left or errors:
        raise RuntimeError(f"produce failed: {left} unflushed, errors {errors[:3]}")
    return n / dt


def consume(conf: dict, topic: str, partitions: int, n: int) -> float:
    c = Consumer({**conf, "group.id": f"bench-{uuid.uuid4().hex}", "enable.auto.commit": False,
                  "fetch.max.bytes": 52_428_800})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got, t0 = 0, time.perf_counter()
    while got < n and time.perf_counter() - t0 < 120:
        got += sum(1 for m in c.consume(10000, 1.0) if not m.error())
    dt = time.perf_counter() - t0
    c.close()
    if got < n:
        raise RuntimeError(f"consumed {got} of {n}")
    return n / dt


def run_round(clients: dict[str, dict], scale: float, order: list[str]) -> dict:
    out: dict = {}
    for listener in order:
        conf = clients[listener]
        for name, size, partitions, full in WORKLOADS:
            n, topic = int(full * scale), f"tls-{uuid.uuid4().hex[:8]}"
            create(conf, topic, partitions)
            out[(listener, f"produce {name}")] = (produce(conf, topic, n, size), size)
            out[(listener, f"consume {name}")] = (consume(conf, topic, partitions, n), size)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="a fifth of the records")
    ap.add_argument("--json", metavar="FILE", help="also write the medians and ratios as JSON")
    args = ap.parse_args()
    scale = 0.2 if args.quick else 1.0
    with tempfile.TemporaryDirectory(prefix="tls-bench-") as tmp:
        broker, clients = start_broker(Path(tmp))
        try:
            rounds = [
                # alternate which listener goes first, so neither always meets a warmer broker
                run_round(clients, scale, ["PLAINTEXT", "SSL"][:: 1 if r % 2 == 0 else -1])
                for r in range(args.rounds)
            ]
        finally:
            broker.stop()
    print(f"{'workload':24} {'PLAINTEXT msg/s':>16} {'MB/s':>7} {'SSL msg/s':>11} {'MB/s':>7}"
          f" {'SSL/PLAIN':>9}")
    table = {}
    for _, workload in [k for k in rounds[0] if k[0] == "PLAINTEXT"]:
        row = {}
        for listener in ("PLAINTEXT", "SSL"):
            rates = [r[(listener, workload)][0] for r in rounds]
            size = rounds[0][(listener, workload)][1]
            rate = statistics.median(rates)
            row[listener] = {"msgs_per_s": rate, "mb_per_s": rate * size / 1e6}
        row["ratio"] = row["SSL"]["msgs_per_s"] / row["PLAINTEXT"]["msgs_per_s"]
        table[workload] = row
        plain, tls = row["PLAINTEXT"], row["SSL"]
        print(f"{workload:24} {plain['msgs_per_s']:16,.0f} {plain['mb_per_s']:7.1f}"
              f" {tls['msgs_per_s']:11,.0f} {tls['mb_per_s']:7.1f} {row['ratio']:9.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
