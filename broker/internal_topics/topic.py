"""A compacted internal topic a coordinator keeps its state in, and the replay of it.

Records are appended as ordinary v2 batches through the partition's append path (validated,
offsets assigned, indexed) with acks=all, before the coordinator answers. At start-up each
partition is replayed in offset order. Transactional batches (the group coordinator's
TxnOffsetCommit records) count only once their commit marker is read; those of an aborted
transaction are dropped; those still open at the end are reported as open, so the coordinator
can keep them pending until the transaction coordinator decides them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from broker.errors import ErrorCode, KafkaError
from broker.protocol import records
from broker.protocol.control_records import marker_is_commit

if TYPE_CHECKING:
    from broker.node import Broker
    from broker.partition.partition import Partition

log = logging.getLogger("broker.internal_topics")

REPLAY_CHUNK_BYTES = 1 << 20

KeyValue = tuple[bytes, bytes | None]


class Stored(NamedTuple):
    """A record read back, with its offset: a coordinator may need to know which of two
    records was written later (a transaction's offsets decided after a plain commit)."""

    key: bytes
    value: bytes | None
    offset: int


class InternalTopic:
    """``name`` with ``broker.config[partitions_key]`` partitions, created when first asked."""

    def __init__(
        self,
        broker: Broker,
        name: str,
        partitions_key: str,
        replication_key: str,
        configs: dict[str, str | None],
    ) -> None:
        self.broker = broker
        self.name = name
        self._partitions_key = partitions_key
        self._replication_key = replication_key
        self._configs = configs
        topic = broker.topic(name)
        # The existing partition count decides the mapping, so keys stay where they were.
        self.partitions: int | None = len(topic.partitions) if topic is not None else None

    @property
    def exists(self) -> bool:
        return self.partitions is not None

    def ensure(self) -> int:
        """Create the topic unless it exists; its partition count."""
        if self.partitions is not None:
            return self.partitions
        n = int(self.broker.config.get(self._partitions_key))
        wanted = int(self.broker.config.get(self._replication_key))
        # Kafka would refuse to create the topic until enough brokers exist; a single node
        # serving it with one replica is more use.
        if wanted > 1:
            log.warning("%s=%d, but this is a single node: using 1", self._replication_key, wanted)
        topic = self.broker.controller.create_topic(self.name, n, 1, dict(self._configs))
        log.info("created %s with %d partition(s)", self.name, n)
        self.partitions = len(topic.partitions)
        return self.partitions

    def partition(self, index: int) -> Partition:
        partition = self.broker.partition(self.name, index)
        if partition is None:
            raise KafkaError(ErrorCode.coordinator_not_available, f"{self.name}-{index} is missing")
        return partition

    def append(self, index: int, batch: bytes) -> int:
        """Append one batch durably enough to answer (acks=all); the offset of its first
        record. KafkaError if refused."""
        return self.broker.produce(self.partition(index), batch, -1, from_client=False).base_offset

    def replay(self, index: int) -> PartitionReplay:
        return PartitionReplay(self.broker.partition(self.name, index))


class PartitionReplay:
    """The decided records of one partition, in offset order; after iterating,
    ``open_transactions`` holds the records of transactions without a marker yet."""

    def __init__(self, partition: Partition | None) -> None:
        self.partition = partition
        self.open_transactions: dict[int, list[Stored]] = {}

    def __iter__(self) -> Iterator[Stored]:
        partition = self.partition
        if partition is None:
            return
        pending = self.open_transactions
        offset, end = partition.log_start_offset, partition.high_watermark
        while offset < end:
            data = partition.read(offset, REPLAY_CHUNK_BYTES, min_one=True)
            if not data:
                break
            for pos, h in records.iter_batches(data):
                if h.next_offset <= offset:
                    continue
                start, offset = offset, h.next_offset
                if h.is_control:
                    if h.producer_id < 0 or not h.is_transactional:
                        continue
                    try:
                        commit = marker_is_commit(memoryview(data)[pos : pos + h.size])
                    except ValueError as e:
                        log.warning("%s: skipping a control batch: %s", partition.topic, e)
                        continue
                    decided = pending.pop(h.producer_id, [])
                    if commit:
                        yield from decided
                    continue
                batch = records.decode_batch(data, pos)
                kept = [
                    Stored(r.key, r.value, r.offset)
                    for r in batch.records
                    if r.key is not None and r.offset >= start
                ]
                if h.is_transactional and h.producer_id >= 0:
                    pending.setdefault(h.producer_id, []).extend(kept)
                else:
                    yield from kept
