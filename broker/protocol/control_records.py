"""Transaction markers: the control records that commit or abort a transaction in a partition.

A marker is a control batch (attributes: transactional + control) of one record, written by
the transaction coordinator with the producer's id and epoch, in Apache Kafka's layout::

    key   (ControlRecordType):    version int16 (=0), type int16 (0 abort, 1 commit)
    value (EndTransactionMarker): version int16 (=0), coordinator_epoch int32

Clients never return control records to applications; read_committed consumers use the
abort markers with the Fetch's aborted-transaction list to drop aborted records.
"""

from __future__ import annotations

import struct

from broker.protocol import records

ABORT, COMMIT = 0, 1
_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")


def marker_batch(
    producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int
) -> bytes:
    key = _KEY.pack(0, COMMIT if commit else ABORT)
    value = _VALUE.pack(0, coordinator_epoch)
    return records.build_batch(
        [(key, value)],
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        transactional=True,
        control=True,
    )


def marker_is_commit(batch: bytes | bytearray | memoryview) -> bool:
    """Whether the control batch ``batch`` (one whole batch) commits; ValueError if it is not
    a transaction marker."""
    return read_marker(batch)[0]


def read_marker(batch: bytes | bytearray | memoryview) -> tuple[bool, int]:
    """(commits, coordinator epoch) of the control batch ``batch`` (one whole batch);
    ValueError if it is not a transaction marker."""
    decoded = records.decode_batch(batch)
    if not decoded.records or decoded.records[0].key is None:
        raise ValueError("a control batch without a record key")
    record = decoded.records[0]
    key = record.key
    if len(key) < _KEY.size:
        raise ValueError("control record key too short")
    _, kind = _KEY.unpack_from(key)
    if kind not in (ABORT, COMMIT):
        raise ValueError(f"control record type {kind} is not a transaction marker")
    value = record.value
    if value is None or len(value) < _VALUE.size:
        raise ValueError("transaction marker value too short")
    return kind == COMMIT, _VALUE.unpack_from(value)[1]
