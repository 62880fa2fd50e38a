"""The internal compacted topic ``__consumer_offsets``: where group state is made durable.

A group lives in partition ``abs(java_hash(group_id)) % partitions`` as in Apache Kafka, so
all records of one group are ordered in one log. Records are appended as ordinary v2
batches through the partition's append path (validated, offsets assigned, indexed), and
replayed in offset order at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from broker.protocol import records

if TYPE_CHECKING:
    from broker.node import Broker

log = logging.getLogger("broker.group")

OFFSETS_TOPIC = "__consumer_offsets"
REPLAY_CHUNK_BYTES = 1 << 20

KeyValue = tuple[bytes, bytes | None]


def java_string_hash(s: str) -> int:
    """Java's String.hashCode (over UTF-16 code units), as a signed 32-bit int."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(group_id: str, partitions: int) -> int:
    h = java_string_hash(group_id)
    return (0 if h == -(1 << 31) else abs(h)) % partitions  # Kafka's Utils.abs


class OffsetsLog(Protocol):
    """Where the coordinator writes its records: the real topic, or a list in tests."""

    def append(self, group_id: str, entries: list[KeyValue]) -> None:
        """Append atomically (one batch); raise KafkaError if the write fails."""

    def replay(self) -> Iterator[KeyValue]:
        """Every record ever kept, each partition in offset order."""


class OffsetsTopic:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        topic = broker.topic(OFFSETS_TOPIC)
        if topic is None:
            n = int(broker.config.get("offsets.topic.num.partitions"))
            wanted = int(broker.config.get("offsets.topic.replication.factor"))
            # Kafka would refuse to create the topic (no coordinator for any group) until
            # enough brokers exist; a single node serving groups with one replica is more use.
            if wanted > 1:
                log.warning(
                    "offsets.topic.replication.factor=%d, but this is a single node: using 1",
                    wanted,
                )
            topic = broker.controller.create_topic(
                OFFSETS_TOPIC, n, 1, {"cleanup.policy": "compact"}
            )
            log.info("created %s with %d partition(s)", OFFSETS_TOPIC, n)
        # The existing partition count decides the mapping, so groups stay where they were.
        self.partitions = len(topic.partitions)

    def append(self, group_id: str, entries: list[KeyValue]) -> None:
        index = partition_for(group_id, self.partitions)
        partition = self.broker.partition(OFFSETS_TOPIC, index)
        if partition is None:
            from broker.errors import ErrorCode, KafkaError

            raise KafkaError(ErrorCode.coordinator_not_available, f"{OFFSETS_TOPIC} is missing")
        self.broker.produce(partition, records.build_batch(entries), -1)

    def replay(self) -> Iterator[KeyValue]:
        for index in range(self.partitions):
            partition = self.broker.partition(OFFSETS_TOPIC, index)
            if partition is None:
                continue
            offset, end = partition.log_start_offset, partition.high_watermark
            while offset < end:
                data = partition.read(offset, REPLAY_CHUNK_BYTES, min_one=True)
                if not data:
                    break
                for batch in records.decode_batches(data):
                    if batch.header.is_control:
                        offset = batch.header.next_offset
                        continue
                    for rec in batch.records:
                        if rec.offset >= offset and rec.key is not None:
                            yield rec.key, rec.value
                    offset = batch.header.next_offset
