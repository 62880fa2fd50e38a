"""The internal compacted topic ``__consumer_offsets``: where group state is made durable.

A group lives in partition ``abs(java_hash(group_id)) % partitions`` as in Apache Kafka, so
all records of one group are ordered in one log. Records are appended as ordinary v2
batches through the partition's append path (validated, offsets assigned, indexed), and
replayed in offset order at start-up (broker/internal_topics/topic.py).

Offsets committed inside a transaction (TxnOffsetCommit) are written as a transactional batch
with the producer's id and epoch, as Kafka does; the transaction coordinator's marker on the
group's partition decides them, and replay applies them only after a commit marker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from broker.internal_topics.partitioning import java_string_hash, partition_for
from broker.internal_topics.topic import InternalTopic, KeyValue, Stored
from broker.protocol import records

if TYPE_CHECKING:
    from broker.node import Broker

log = logging.getLogger("broker.group")

OFFSETS_TOPIC = "__consumer_offsets"

__all__ = [
    "OFFSETS_TOPIC", "KeyValue", "OffsetsLog", "OffsetsTopic", "Stored", "java_string_hash"
]


class OffsetsLog(Protocol):
    """Where the coordinator writes its records: the real topic, or a list in tests."""

    def append(self, group_id: str, entries: list[KeyValue]) -> int:
        """Append atomically (one batch): the offset of the first record (the others follow
        it). Raise KafkaError if the write fails."""

    def append_txn(
        self, group_id: str, entries: list[KeyValue], producer_id: int, producer_epoch: int
    ) -> int:
        """Append as part of the producer's transaction (one transactional batch); as
        ``append``."""

    def partition_of(self, group_id: str) -> int:
        """The offsets partition holding the group (where its transaction markers land)."""

    def replay(self) -> Iterator[Stored]:
        """Every record kept and decided, each partition in offset order; a committed
        transaction's records come where its marker is."""

    def open_transactions(self) -> dict[int, list[Stored]]:
        """After replay: producer id -> records of its transaction still undecided."""


class OffsetsTopic:
    def __init__(self, broker: Broker) -> None:
        self.topic = InternalTopic(
            broker,
            OFFSETS_TOPIC,
            "offsets.topic.num.partitions",
            "offsets.topic.replication.factor",
            {"cleanup.policy": "compact"},
        )
        self.partitions = self.topic.ensure()
        self._open: dict[int, list[Stored]] = {}

    def partition_of(self, group_id: str) -> int:
        return partition_for(group_id, self.partitions)

    def append(self, group_id: str, entries: list[KeyValue]) -> int:
        return self.topic.append(self.partition_of(group_id), records.build_batch(entries))

    def append_txn(
        self, group_id: str, entries: list[KeyValue], producer_id: int, producer_epoch: int
    ) -> int:
        batch = records.build_batch(
            entries, producer_id=producer_id, producer_epoch=producer_epoch, transactional=True
        )
        return self.topic.append(self.partition_of(group_id), batch)

    def replay(self) -> Iterator[Stored]:
        self._open = {}
        for index in range(self.partitions):
            replay = self.topic.replay(index)
            yield from replay
            for pid, entries in replay.open_transactions.items():
                self._open.setdefault(pid, []).extend(entries)

    def open_transactions(self) -> dict[int, list[Stored]]:
        return self._open
