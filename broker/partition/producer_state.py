"""Idempotent producer state of one partition: sequence checks and retry deduplication.

Per producer id we keep its epoch and the last five batches appended (first/last sequence and
offsets): a retried batch matching one of them is a duplicate, answered with the offsets it
got the first time (answering OUT_OF_ORDER_SEQUENCE there would make clients duplicate).
Sequences wrap at int32 max. The state is rebuilt from batch headers when a log is opened.

Transactions: ``ongoing`` maps each producer with an open transaction on this partition to
the offset of its first transactional batch (Kafka's currentTxnFirstOffset); a commit or
abort marker closes it (``end_txn``, which also gives an abort's aborted-index entry). The
partition's last stable offset is the smallest of these, so a partition without open
transactions pays one empty-dict test.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from broker.errors import ErrorCode, KafkaError
from broker.log.txn_index import AbortedTxn
from broker.protocol.records import CONTROL_MASK, TRANSACTIONAL_MASK, BatchHeader

CACHED_BATCHES = 5
INT32_MAX = 0x7FFFFFFF


@dataclass(slots=True, frozen=True)
class BatchMeta:
    first_seq: int
    last_seq: int
    base_offset: int
    last_offset: int
    timestamp: int


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque[BatchMeta] = field(default_factory=lambda: deque(maxlen=CACHED_BATCHES))
    last_timestamp: int = -1
    # of the coordinator that wrote this producer's last marker here (-1: none since start)
    coordinator_epoch: int = -1

    @property
    def last_seq(self) -> int:
        return self.batches[-1].last_seq if self.batches else -1


def _next_seq(seq: int) -> int:
    return 0 if seq == INT32_MAX else seq + 1


class ProducerStateManager:
    def __init__(self) -> None:
        self.producers: dict[int, ProducerEntry] = {}
        self.ongoing: dict[int, int] = {}  # producer id -> first offset of its open txn

    def check(self, h: BatchHeader) -> BatchMeta | None:
        """Validate a producer's batch before it is appended.

        Returns the earlier append's metadata when this batch is a retried duplicate;
        raises KafkaError for a fenced epoch or a sequence gap.
        """
        if h.producer_id < 0:
            return None
        entry = self.producers.get(h.producer_id)
        if entry is None:
            return None  # a producer we hold no state for may start at any sequence
        if h.producer_epoch < entry.epoch:
            raise KafkaError(
                ErrorCode.invalid_producer_epoch,
                f"producer {h.producer_id} epoch {h.producer_epoch} is older than {entry.epoch}",
            )
        if h.base_sequence < 0:
            return None  # no sequence (transactional offset commits): the epoch is all
        if h.producer_epoch > entry.epoch:
            if h.base_sequence != 0:
                raise KafkaError(
                    ErrorCode.out_of_order_sequence_number,
                    f"a new epoch must start at sequence 0, got {h.base_sequence}",
                )
            return None
        for meta in entry.batches:
            if meta.first_seq == h.base_sequence and meta.last_seq == h.last_sequence:
                return meta
        if entry.batches and h.base_sequence != _next_seq(entry.last_seq):
            raise KafkaError(
                ErrorCode.out_of_order_sequence_number,
                f"producer {h.producer_id}: expected sequence {_next_seq(entry.last_seq)}, "
                f"got {h.base_sequence}",
            )
        return None

    def check_marker(self, producer_id: int, producer_epoch: int) -> None:
        """A commit/abort marker may not come from an epoch older than the producer's."""
        entry = self.producers.get(producer_id)
        if entry is not None and producer_epoch < entry.epoch:
            raise KafkaError(
                ErrorCode.invalid_producer_epoch,
                f"marker epoch {producer_epoch} of producer {producer_id} is older than "
                f"{entry.epoch}",
            )

    def end_txn(
        self, marker: BatchHeader, commit: bool, coordinator_epoch: int
    ) -> AbortedTxn | None:
        """Close the transaction the appended ``marker`` ends; for an abort of a transaction
        open here, its entry for the aborted-transaction index (the LSO once it is closed:
        the next open transaction's start, or the offset after the marker)."""
        pid = marker.producer_id
        entry = self.producers.get(pid)
        if entry is not None:
            entry.coordinator_epoch = coordinator_epoch
        first = self.ongoing.pop(pid, None)
        if commit or first is None:
            return None
        unstable = self.first_unstable_offset()
        last_stable = unstable if unstable is not None else marker.next_offset
        return AbortedTxn(pid, first, marker.base_offset, last_stable)

    def first_unstable_offset(self) -> int | None:
        ongoing = self.ongoing
        return min(ongoing.values()) if ongoing else None

    def update(self, h: BatchHeader) -> None:
        """Record an appended batch (its header now carries the assigned offsets)."""
        if h.producer_id < 0:
            return
        entry = self.producers.get(h.producer_id)
        if entry is None or h.producer_epoch > entry.epoch:
            entry = self.producers[h.producer_id] = ProducerEntry(h.producer_epoch)
        entry.last_timestamp = h.max_timestamp
        if h.attributes & TRANSACTIONAL_MASK and not h.attributes & CONTROL_MASK:
            self.ongoing.setdefault(h.producer_id, h.base_offset)
        if h.base_sequence >= 0:
            entry.batches.append(
                BatchMeta(
                    h.base_sequence, h.last_sequence, h.base_offset, h.last_offset, h.max_timestamp
                )
            )
