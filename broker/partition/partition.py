"""A partition replica: its log, leader epoch, replicas/ISR and high watermark.

Single node today: this broker leads every partition and the ISR is itself, so the high
watermark follows the log end after each append. The fields are kept apart (leader epoch,
replicas, ISR, high watermark vs log end offset) so followers can be added without reshaping
the callers. Fetches waiting for data register a future that an append resolves.

Transactions: producers' transactional batches are appended like any other; the producer
state tracks where each open transaction began, which bounds the last stable offset (LSO)
read_committed consumers may read up to. ``write_marker`` appends the coordinator's commit or
abort marker and indexes an aborted transaction; both wake waiting fetches, since the LSO
moves. See txn_state.py for how this survives restarts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

from broker.errors import ErrorCode, KafkaError, RecordError
from broker.log.log import AppendResult, Log
from broker.log.txn_index import AbortedTxn
from broker.partition import txn_state
from broker.partition.producer_state import ProducerStateManager
from broker.partition.record_policy import RecordPolicy
from broker.protocol import records
from broker.protocol.control_records import marker_batch


@dataclass(slots=True)
class PartitionSettings:
    """The topic configs the append path reads, resolved to values."""

    max_message_bytes: int = 1048588
    log_append_time: bool = False
    min_insync_replicas: int = 1
    # compression.type, timestamp bounds, compaction's keys; None: batches stored as sent
    record_policy: RecordPolicy | None = None

    @property
    def stores_zstd(self) -> bool:
        """compression.type is zstd: fetches older than v10 are refused (KIP-110)."""
        return self.record_policy is not None and self.record_policy.codec == records.ZSTD


@dataclass(slots=True)
class ProduceResult:
    base_offset: int
    log_append_time: int = -1
    log_start_offset: int = 0


@dataclass(eq=False)
class Partition:
    topic: str
    index: int
    topic_id: uuid.UUID
    log: Log
    leader: int
    replicas: list[int]
    isr: list[int]
    leader_epoch: int = 0
    settings: PartitionSettings = field(default_factory=PartitionSettings)
    high_watermark: int = 0
    producers: ProducerStateManager = field(default_factory=ProducerStateManager)
    waiters: set[asyncio.Future] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Producer state comes back from batch headers, normally of the active segment alone:
        # retries that can still arrive target recent batches, and open transactions are
        # snapshotted at each roll (txn_state.py), so start-up time does not grow with data.
        txn_state.rebuild(self.log, self.producers)
        self.log.on_roll = self._on_roll
        self.high_watermark = self.log.log_end_offset
        self.log.assign_leader_epoch(self.leader_epoch)  # answers OffsetForLeaderEpoch at once

    @property
    def log_end_offset(self) -> int:
        return self.log.log_end_offset

    @property
    def log_start_offset(self) -> int:
        return self.log.log_start_offset

    def check_leader_epoch(self, current_leader_epoch: int) -> None:
        """A client's view of the leader epoch (-1 = unknown) must match ours."""
        if current_leader_epoch < 0 or current_leader_epoch == self.leader_epoch:
            return
        if current_leader_epoch > self.leader_epoch:
            raise KafkaError(
                ErrorCode.unknown_leader_epoch,
                f"leader epoch {current_leader_epoch} is newer than ours",
            )
        raise KafkaError(
            ErrorCode.fenced_leader_epoch,
            f"leader epoch {current_leader_epoch} is older than {self.leader_epoch}",
        )

    def append(
        self, data: bytes | memoryview, acks: int, *, from_client: bool = True
    ) -> ProduceResult:
        """Validate and append a producer's record batch (``from_client``) or a
        coordinator's (internal topics: its transactional offset commits carry no sequence).

        Offsets are stamped into ``data`` itself when it is writable (a view into the
        request's frame), into a copy otherwise. The bytes stay as sent unless the topic's
        record policy re-encodes a batch in the topic's compression codec, or a batch's max
        timestamp was left unset (see _fill_in_max_timestamps).
        """
        if acks == -1 and len(self.isr) < self.settings.min_insync_replicas:
            raise KafkaError(
                ErrorCode.not_enough_replicas,
                f"{len(self.isr)} in-sync replica(s) < min.insync.replicas "
                f"{self.settings.min_insync_replicas}",
            )
        buf = data if isinstance(data, memoryview) and not data.readonly else bytearray(data)
        try:
            batches = list(records.iter_batches(buf))
            for pos, h in batches:
                records.validate_batch(buf, pos, h)
        except records.CorruptRecordError as e:
            raise KafkaError(ErrorCode.corrupt_message, str(e)) from e
        if not batches:
            raise KafkaError(ErrorCode.invalid_record, "the produce request holds no batches")
        if len(batches) > 1:  # Kafka refuses these from Produce v3 on
            raise KafkaError(
                ErrorCode.invalid_record,
                f"{len(batches)} record batches for one partition: a produce request carries one",
            )
        h = batches[0][1]
        if h.size > self.settings.max_message_bytes:
            raise KafkaError(
                ErrorCode.message_too_large,
                f"batch of {h.size} bytes exceeds max.message.bytes "
                f"{self.settings.max_message_bytes}",
            )
        if from_client:
            _check_client_batch(h)
        duplicate = self.producers.check(h)
        if duplicate is not None:
            return ProduceResult(duplicate.base_offset, -1, self.log_start_offset)
        policy = self.settings.record_policy
        if policy is not None:
            buf, batches = policy.apply(
                buf,
                batches,
                max_message_bytes=self.settings.max_message_bytes,
                partition_name=f"{self.topic}-{self.index}",
            )
        if not self.settings.log_append_time:
            _fill_in_max_timestamps(buf, batches)
        append_time = int(time.time() * 1000) if self.settings.log_append_time else None
        result: AppendResult = self.log.append(
            buf, batches, leader_epoch=self.leader_epoch, log_append_time_ms=append_time
        )
        self.producers.update(batches[0][1])  # as stamped (the policy may re-encode it)
        self.high_watermark = self.log.log_end_offset  # the ISR is this broker alone
        self.wake_fetchers()
        return ProduceResult(result.base_offset, result.log_append_time, self.log_start_offset)

    def read(self, offset: int, max_bytes: int, *, min_one: bool) -> bytes | memoryview:
        return self.log.read(offset, max_bytes, upper_bound=self.high_watermark, min_one=min_one)

    # --- transactions -----------------------------------------------------------------------

    @property
    def last_stable_offset(self) -> int:
        """Below it every transaction is decided: the high watermark, or the first offset
        of the oldest open transaction, but never below the log start (DeleteRecords may
        have removed where that transaction began, as Kafka allows)."""
        first = self.producers.first_unstable_offset()
        if first is None:
            return self.high_watermark
        return max(min(first, self.high_watermark), self.log.log_start_offset)

    def read_committed(
        self, offset: int, max_bytes: int, *, min_one: bool
    ) -> tuple[bytes | memoryview, list[AbortedTxn]]:
        """Batches below the LSO, with the aborted transactions they may hold."""
        lso = self.last_stable_offset
        data = self.log.read(offset, max_bytes, upper_bound=lso, min_one=min_one)
        if not data:
            return data, []
        return data, self.log.collect_aborted(offset, lso)

    def write_marker(
        self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int
    ) -> int:
        """Append a commit/abort marker for the producer's transaction; its offset.

        The marker's epoch may be newer than the producer's (the coordinator fencing a
        zombie), never older (INVALID_PRODUCER_EPOCH).
        """
        self.producers.check_marker(producer_id, producer_epoch)
        buf = bytearray(marker_batch(producer_id, producer_epoch, commit, coordinator_epoch))
        batches = list(records.iter_batches(buf))
        result = self.log.append(buf, batches, leader_epoch=self.leader_epoch)
        h = batches[0][1]
        self.producers.update(h)
        aborted = self.producers.end_txn(h, commit, coordinator_epoch)
        if aborted is not None:
            self.log.append_aborted(aborted)
        self.high_watermark = self.log.log_end_offset
        self.wake_fetchers()
        return result.base_offset

    def _on_roll(self, new_base: int) -> None:
        # An append rolls before its one batch, so what is open now is all that came before.
        txn_state.write_snapshot(self.log.directory, new_base, self.producers.ongoing)

    def wake_fetchers(self) -> None:
        waiters, self.waiters = self.waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)


def _fill_in_max_timestamps(buf: bytearray | memoryview, batches: list) -> None:
    """Set the max timestamp of CreateTime batches that leave it unset, from their records.

    Kafka's LogValidator always sets it from the records, and the time index, ListOffsets by
    time and retention read it. sarama (until IBM/sarama#3108, 2025) sends -1, which left its
    records out of offsetsForTimes. Only a batch whose max is below its base timestamp (the
    first record's) is decoded, so a well-formed batch costs a comparison.
    """
    for pos, h in batches:
        if h.max_timestamp >= h.base_timestamp:
            continue
        try:
            stamps = records.record_stamps(h, records.batch_payload(buf, pos, h))
        except records.CorruptRecordError as e:
            raise KafkaError(ErrorCode.corrupt_message, str(e)) from e
        if stamps:
            records.set_max_timestamp(buf, pos, h, max(ts for ts, _ in stamps))


def _check_client_batch(h: records.BatchHeader) -> None:
    """What Apache Kafka refuses in a batch a client sent (LogValidator): the offsets the
    broker assigns come from the header, so it must agree with itself."""
    if h.records_count <= 0 or h.records_count != h.last_offset_delta + 1:
        raise KafkaError(
            ErrorCode.invalid_record,
            f"inconsistent batch: {h.records_count} record(s), last offset delta "
            f"{h.last_offset_delta}",
        )
    if h.is_control:
        raise KafkaError(ErrorCode.invalid_record, "clients may not produce control batches")
    if h.producer_id >= 0 and h.base_sequence < 0:
        raise KafkaError(
            ErrorCode.invalid_record,
            f"invalid sequence number {h.base_sequence} in a batch of producer {h.producer_id}",
        )
    if h.attributes & records.TIMESTAMP_TYPE_MASK:
        raise RecordError(
            ErrorCode.invalid_timestamp,
            "producers may not set the timestamp type to LogAppendTime",
            0,
        )
