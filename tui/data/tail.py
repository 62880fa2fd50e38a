"""The last records of a topic, or records from an offset: a bounded read, then stop.

The tail assigns each partition at ``max(log start, log end - limit)`` (or at the requested
offset, or at the first offset with a timestamp at or after ``since_ms``), reads until every
partition reached the end it had when the read began (or the deadline passes), and returns
the newest ``limit`` records by timestamp (from a jump: the first ``limit`` from that point).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kctl import group_admin as ga
from kctl.client import Cluster, kafka_error


@dataclass(frozen=True)
class TailRecord:
    partition: int
    offset: int
    timestamp_ms: int
    key: str | None
    value: str | None

    def matches(self, needle: str) -> bool:
        needle = needle.lower()
        return any(needle in (s or "").lower() for s in (self.key, self.value))


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


def read_tail(
    cluster: Cluster,
    topic: str,
    limit: int = 50,
    *,
    partition: int | None = None,
    offset: int | None = None,
    since_ms: int | None = None,
    deadline_s: float = 5.0,
) -> list[TailRecord]:
    """The newest ``limit`` records, or ``limit`` records from ``partition``/``offset`` or
    from the instant ``since_ms`` (epoch milliseconds)."""
    info = cluster.topic(topic)
    parts = [p.partition for p in info.partitions if partition is None or p.partition == partition]
    marks = cluster.watermarks([(topic, p) for p in parts])
    jumped = offset is not None or since_ms is not None
    at_time: dict[tuple[str, int], int] = {}
    if since_ms is not None:
        try:
            at_time = ga.offsets_for_time(cluster.admin(), [(topic, p) for p in parts],
                                          since_ms, cluster.timeout)
        except KafkaException as e:
            raise kafka_error(e, "offsets for time") from e
    starts: dict[int, int] = {}
    stops: dict[int, int] = {}
    for p in parts:
        low, high = marks[(topic, p)]
        if low is None or high is None or high <= low:
            continue
        if since_ms is not None:
            wanted = at_time.get((topic, p), -1)
            start = high if wanted < 0 else min(max(wanted, low), high)  # -1: nothing newer
        elif offset is not None:
            start = min(max(offset, low), high)
        else:
            start = max(low, high - limit)
        stop = min(high, start + limit) if jumped else high
        if start < stop:
            starts[p], stops[p] = start, stop
    if not starts:
        return []
    consumer = cluster.consumer(**{"enable.partition.eof": False})
    records: list[TailRecord] = []
    try:
        consumer.assign([TopicPartition(topic, p, o) for p, o in starts.items()])
        pending = set(starts)
        end = time.monotonic() + deadline_s
        while pending and time.monotonic() < end:
            for msg in consumer.consume(500, 0.2):
                if msg.error() is not None:
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise RuntimeError(msg.error().str())
                p, o = msg.partition(), msg.offset()
                if p in pending and o < stops[p]:
                    records.append(TailRecord(p, o, msg.timestamp()[1], _text(msg.key()),
                                              _text(msg.value())))
                if p in pending and o + 1 >= stops[p]:
                    pending.discard(p)
    finally:
        consumer.close()
    records.sort(key=lambda r: (r.timestamp_ms, r.partition, r.offset))
    return records[:limit] if jumped else records[-limit:]
