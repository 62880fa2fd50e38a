"""The internal compacted topic ``__transaction_state``, created on first transactional use.

A transactional id lives in partition ``abs(java_hash(id)) %
transaction.state.log.num.partitions`` as in Apache Kafka. Topic configs follow Kafka's:
compacted, ``min.insync.replicas`` and ``segment.bytes`` from the transaction.state.log.*
broker configs. The coordinator epoch of an id is its partition's leader epoch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from broker.internal_topics.partitioning import partition_for
from broker.internal_topics.topic import InternalTopic, KeyValue
from broker.protocol import records

if TYPE_CHECKING:
    from broker.node import Broker

TRANSACTION_STATE_TOPIC = "__transaction_state"


class TxnLog(Protocol):
    """Where the coordinator persists its state: the real topic, or a list in tests."""

    def append(self, transactional_id: str, entries: list[KeyValue]) -> None:
        """Append atomically (one batch); raise KafkaError if the write fails."""

    def replay(self) -> Iterator[KeyValue]:
        """Every record kept, each partition in offset order (nothing if none exists)."""

    def coordinator_epoch(self, transactional_id: str) -> int: ...


class TransactionStateTopic:
    def __init__(self, broker: Broker) -> None:
        cfg = broker.config
        self.topic = InternalTopic(
            broker,
            TRANSACTION_STATE_TOPIC,
            "transaction.state.log.num.partitions",
            "transaction.state.log.replication.factor",
            {
                "cleanup.policy": "compact",
                "compression.type": "uncompressed",
                "min.insync.replicas": str(cfg.get("transaction.state.log.min.isr")),
                "segment.bytes": str(cfg.get("transaction.state.log.segment.bytes")),
            },
        )

    def ensure(self) -> None:
        self.topic.ensure()

    def partition_of(self, transactional_id: str) -> int:
        return partition_for(transactional_id, self.topic.ensure())

    def append(self, transactional_id: str, entries: list[KeyValue]) -> None:
        self.topic.append(self.partition_of(transactional_id), records.build_batch(entries))

    def replay(self) -> Iterator[KeyValue]:
        if not self.topic.exists:
            return
        for index in range(self.topic.ensure()):
            for key, value, _ in self.topic.replay(index):
                yield key, value

    def coordinator_epoch(self, transactional_id: str) -> int:
        return self.topic.partition(self.partition_of(transactional_id)).leader_epoch
