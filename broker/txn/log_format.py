"""The records of ``__transaction_state``: Apache Kafka's TransactionLogKey / TransactionLogValue
(version 0), so Kafka's own tools can read a kctl transaction log.

    key   v0: version=0 int16, transactional_id string
    value v0: version=0 int16, producer_id int64, producer_epoch int16,
              transaction_timeout_ms int32, transaction_status int8,
              transaction_partitions [topic string, partition_ids [int32]] (nullable),
              last_update_timestamp_ms int64, start_timestamp_ms int64

A null value is a tombstone: the transactional id expired. The previous producer id/epoch
(KIP-360 retries) are not stored: only a live coordinator answers those retries.
"""

from __future__ import annotations

from broker.internal_topics.codec import FormatError, Reader, Writer
from broker.txn.metadata import TxnMetadata
from broker.txn.state import TxnState

KEY_VERSION = 0
VALUE_VERSION = 0

__all__ = ["FormatError", "decode_key", "decode_value", "key", "value"]


def key(transactional_id: str) -> bytes:
    return Writer().i16(KEY_VERSION).string(transactional_id).done()


def value(m: TxnMetadata) -> bytes:
    w = Writer().i16(VALUE_VERSION).i64(m.producer_id).i16(m.producer_epoch)
    w.i32(m.timeout_ms).i8(int(m.state))
    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(m.partitions):
        by_topic.setdefault(topic, []).append(partition)
    w.i32(len(by_topic))
    for topic, partitions in by_topic.items():
        w.string(topic).i32(len(partitions))
        for p in partitions:
            w.i32(p)
    return w.i64(m.last_update_ms).i64(m.txn_start_ms).done()


def decode_key(data: bytes) -> str:
    r = Reader(data)
    version = r.i16()
    if version != KEY_VERSION:
        raise FormatError(f"unknown transaction log key version {version}")
    return r.required_string()


def decode_value(transactional_id: str, data: bytes) -> TxnMetadata:
    r = Reader(data)
    version = r.i16()
    if version != VALUE_VERSION:
        raise FormatError(f"unsupported transaction log value version {version}")
    producer_id, epoch, timeout = r.i64(), r.i16(), r.i32()
    status = r.i8()
    try:
        state = TxnState(status)
    except ValueError:
        raise FormatError(f"unknown transaction status {status}") from None
    partitions: set[tuple[str, int]] = set()
    n_topics = r.count(min_item_bytes=6)
    for _ in range(max(n_topics, 0)):
        topic = r.required_string()
        for _ in range(max(r.count(min_item_bytes=4), 0)):
            partitions.add((topic, r.i32()))
    last_update, start = r.i64(), r.i64()
    return TxnMetadata(
        transactional_id,
        producer_id,
        epoch,
        timeout,
        state,
        partitions,
        txn_start_ms=start,
        last_update_ms=last_update,
    )
