"""Load generators behind ``kctl perf produce`` and ``kctl perf consume``.

Produce latency is librdkafka's own measure per record (``Message.latency()``: from
``produce()`` to the delivery report). Producer start-up (connections, metadata, the
idempotent producer id) is not measured: the first record goes alone and the clock starts
once it is acknowledged; the summary counts it, its latency and time are left out.
Consume latency is end-to-end: the wall clock at receipt minus the record's timestamp, so
it is meaningful only for records produced while the consumer runs (e.g. alongside
``perf produce``); the clock starts at the first record, so rates count those after it.

Ctrl-C and SIGTERM stop a run the way they stop ``kctl produce``: no more records are sent
(or read), what librdkafka already holds is delivered, and the run returns the summary of
what was done with the exit code (130, 143) the command ends with.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from kctl.client import throwaway_group_refused
from kctl.console import ExitCode
from kctl.perf_stats import PerfSummary, summarize
from kctl.stop_signal import SigtermStops

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ProducePerf:
    topic: str
    num_records: int
    record_size: int
    throughput: float  # records/s; <= 0 means unlimited


@dataclass(frozen=True)
class PerfRun:
    summary: PerfSummary
    stopped: int | None = None  # exit code when Ctrl-C (130) or SIGTERM (143) ended the run


def _payload(size: int) -> bytes:
    # Printable random bytes, like Kafka's tool, so compression ratios are not degenerate.
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return bytes(alphabet[b % len(alphabet)] for b in os.urandom(size))


def run_produce(conf: dict[str, Any], spec: ProducePerf, flush_timeout: float) -> PerfRun:
    producer = Producer(conf)
    payload = _payload(spec.record_size)
    latencies: list[float] = []
    failures: list[str] = []
    acked_bytes = 0
    warm_up_acked = 0

    warm_up = spec.num_records > 1

    def on_delivery(err: Any, msg: Any) -> None:
        nonlocal acked_bytes
        if err is not None:
            failures.append(err.str())
            return
        latencies.append(msg.latency() * 1000)
        acked_bytes += len(msg.value() or b"")

    def on_warm_up(err: Any, msg: Any) -> None:
        nonlocal warm_up_acked
        if err is not None:
            failures.append(err.str())
        else:
            warm_up_acked = 1

    interrupted = False
    start: float | None = None  # once the warm-up record is acknowledged
    # SIGTERM is only noted while records go out (raised inside a delivery callback, it
    # would lose that record's report); the loop stops at the next record.
    with SigtermStops() as sigterm, sigterm.held(resume=False):
        try:
            if warm_up:
                producer.produce(spec.topic, value=payload, on_delivery=on_warm_up)
                _check(failures, producer.flush(flush_timeout))
            start = time.perf_counter()
            for i in range(spec.num_records - warm_up):
                if sigterm.signum is not None:
                    break
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
        except KeyboardInterrupt:
            interrupted = True
        # What librdkafka holds is delivered and counted, stopped or not.
        remaining = producer.flush(flush_timeout)
        elapsed = 0.0 if start is None else time.perf_counter() - start
    _check(failures, remaining)
    # The warm-up record was produced too: counted, its time and latency left out.
    summary = summarize(
        len(latencies) + warm_up_acked, acked_bytes + warm_up_acked * len(payload), elapsed,
        latencies, timed_records=len(latencies), timed_bytes=acked_bytes,
    )
    return PerfRun(summary, _stop_code(interrupted, sigterm))


def _stop_code(interrupted: bool, sigterm: SigtermStops) -> int | None:
    if sigterm.signum is not None:
        return 128 + sigterm.signum
    return ExitCode.INTERRUPTED if interrupted else None


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
) -> PerfRun:
    """Read ``num_records`` from the beginning of every partition (fewer if the topic runs
    dry for ``idle_timeout`` seconds, or Ctrl-C or SIGTERM stops the run)."""
    conf = dict(conf)
    conf.setdefault("group.id", f"kctl-perf-{int(time.time() * 1000)}")
    conf["enable.auto.commit"] = False
    consumer = Consumer(conf)
    count = nbytes = first_bytes = 0
    latencies: list[float] = []
    first: float | None = None
    last_seen: float | None = None
    interrupted = False
    try:
        md = consumer.list_topics(timeout=timeout)
        tmd = md.topics.get(topic)
        if tmd is None or tmd.error is not None:
            raise KafkaException(
                KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"unknown topic {topic!r}")
            )
        consumer.assign([TopicPartition(topic, p, -2) for p in tmd.partitions])  # -2: beginning
        begun = time.perf_counter()
        # SIGTERM is only noted; the loop sees it within one poll.
        with SigtermStops() as sigterm, sigterm.held(resume=False):
            try:
                while count < num_records and sigterm.signum is None:
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
                    size = len(msg.value() or b"") + len(msg.key() or b"")
                    if first is None:
                        first, first_bytes = now, size
                    last_seen = now
                    count += 1
                    nbytes += size
                    ts_type, ts = msg.timestamp()
                    if ts_type and ts >= 0:
                        latencies.append(max(clock_ms() - ts, 0.0))
            except KeyboardInterrupt:
                interrupted = True
    finally:
        consumer.close()
    elapsed = last_seen - first if first is not None and last_seen is not None else 0.0
    # The first record starts the clock: the rates count the records after it.
    summary = summarize(count, nbytes, elapsed, latencies,
                        timed_records=max(count - 1, 0), timed_bytes=nbytes - first_bytes)
    return PerfRun(summary, _stop_code(interrupted, sigterm))
