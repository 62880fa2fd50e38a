"""Load generators behind ``kctl perf produce`` and ``kctl perf consume``.

Produce latency is librdkafka's own measure per record (``Message.latency()``: from
``produce()`` to the delivery report). Producer start-up (connections, metadata, the
idempotent producer id) is not measured: the first record goes alone and the clock starts
once it is acknowledged; the summary counts it, its latency and time are left out.
Consume latency is end-to-end: the wall clock at receipt minus the record's timestamp, so
it is meaningful only for records produced while the consumer runs (e.g. alongside
``perf produce``); throughput counts from the first record.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from kctl.client import throwaway_group_refused
from kctl.perf_stats import PerfSummary, summarize

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ProducePerf:
    topic: str
    num_records: int
    record_size: int
    throughput: float  # records/s; <= 0 means unlimited


def _payload(size: int) -> bytes:
    # Printable random bytes, like Kafka's tool, so compression ratios are not degenerate.
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return bytes(alphabet[b % len(alphabet)] for b in os.urandom(size))


def run_produce(conf: dict[str, Any], spec: ProducePerf, flush_timeout: float) -> PerfSummary:
    producer = Producer(conf)
    payload = _payload(spec.record_size)
    latencies: list[float] = []
    failures: list[str] = []
    acked_bytes = 0

    warm_up = spec.num_records > 1

    def on_delivery(err: Any, msg: Any) -> None:
        nonlocal acked_bytes
        if err is not None:
            failures.append(err.str())
            return
        latencies.append(msg.latency() * 1000)
        acked_bytes += len(msg.value() or b"")

    def on_warm_up(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(err.str())

    if warm_up:
        producer.produce(spec.topic, value=payload, on_delivery=on_warm_up)
        remaining = producer.flush(flush_timeout)
        _check(failures, remaining)
    start = time.perf_counter()
    for i in range(spec.num_records - warm_up):
        if spec.throughput > 0:
            ahead = start + i / spec.throughput - time.perf_counter()
            if ahead > 0.001:
                time.sleep(ahead)
        while True:
            try:
                producer.produce(spec.topic, value=payload, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    remaining = producer.flush(flush_timeout)
    elapsed = time.perf_counter() - start
    _check(failures, remaining)
    summary = summarize(len(latencies), acked_bytes, elapsed, latencies)
    if warm_up:  # the warm-up record was produced too: count it, not its time
        summary = replace(summary, records=spec.num_records,
                          bytes=acked_bytes + len(payload))
    return summary


def _check(failures: list[str], remaining: int) -> None:
    if failures or remaining:
        detail = failures[0] if failures else f"{remaining} record(s) not acknowledged"
        raise PerfFailure(f"{len(failures) + remaining} record(s) failed: {detail}")


class PerfFailure(RuntimeError):
    """Records were not acknowledged; the numbers would be misleading."""


def run_consume(
    conf: dict[str, Any],
    topic: str,
    num_records: int,
    timeout: float,
    idle_timeout: float,
    clock_ms: Callable[[], float] = lambda: time.time() * 1000,
) -> PerfSummary:
    """Read ``num_records`` from the beginning of every partition (fewer if the topic runs
    dry for ``idle_timeout`` seconds)."""
    conf = dict(conf)
    conf.setdefault("group.id", f"kctl-perf-{int(time.time() * 1000)}")
    conf["enable.auto.commit"] = False
    consumer = Consumer(conf)
    try:
        md = consumer.list_topics(timeout=timeout)
        tmd = md.topics.get(topic)
        if tmd is None or tmd.error is not None:
            raise KafkaException(
                KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"unknown topic {topic!r}")
            )
        consumer.assign([TopicPartition(topic, p, -2) for p in tmd.partitions])  # -2: beginning
        count = nbytes = 0
        latencies: list[float] = []
        first: float | None = None
        last_seen: float | None = None
        begun = time.perf_counter()
        while count < num_records:
            msg = consumer.poll(POLL_SECONDS)
            now = time.perf_counter()
            if msg is None:
                if now - (last_seen or begun) > idle_timeout:
                    break
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                if throwaway_group_refused(msg.error()):
                    continue
                raise KafkaException(msg.error())
            if first is None:
                first = now
            last_seen = now
            count += 1
            nbytes += len(msg.value() or b"") + len(msg.key() or b"")
            ts_type, ts = msg.timestamp()
            if ts_type and ts >= 0:
                latencies.append(max(clock_ms() - ts, 0.0))
        elapsed = last_seen - first if first is not None and last_seen is not None else 0.0
        return summarize(count, nbytes, elapsed, latencies)
    finally:
        consumer.close()

