"""Partition.append stamps a request's own bytes in place and never the caller's immutable ones."""

from __future__ import annotations

import struct
import uuid

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.partition.partition import Partition
from broker.protocol import records
from tests.log.helpers import batch, open_log, spans


def test_a_writable_view_is_stamped_in_place_and_immutable_input_is_copied(tmp_path):
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    partition.append(batch(2), acks=-1)

    frame = bytearray(b"head" + batch(1))  # a request frame with a batch in it
    assert partition.append(memoryview(frame)[4:], acks=-1).base_offset == 2
    assert records.parse_header(frame, 4).base_offset == 2

    sent = batch(1)
    assert partition.append(sent, acks=-1).base_offset == 3
    assert records.parse_header(sent).base_offset == 0
    assert spans(partition.log.read(0, 10_000)) == [(0, 1), (2, 2), (3, 3)]


def _restamped(data: bytes, **fields: int) -> bytes:
    """``data`` (one batch) with header fields changed and its CRC made right again."""
    buf = bytearray(data)
    offsets = {"last_offset_delta": 23, "records_count": 57, "attributes": 21, "max_timestamp": 35}
    formats = {
        "last_offset_delta": ">i",
        "records_count": ">i",
        "attributes": ">h",
        "max_timestamp": ">q",
    }
    for name, value in fields.items():
        struct.pack_into(formats[name], buf, offsets[name], value)
    struct.pack_into(">I", buf, 17, records.crc_of(buf, 0, len(buf)))
    return bytes(buf)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (_restamped(batch(3), records_count=5), ErrorCode.invalid_record),  # offsets disagree
        (_restamped(batch(1), records_count=0, last_offset_delta=-1), ErrorCode.corrupt_message),
        (
            records.build_batch([(None, b"v")], producer_id=7, producer_epoch=0),
            ErrorCode.invalid_record,
        ),
        (records.build_batch([(None, b"v")], log_append_time=True), ErrorCode.invalid_timestamp),
    ],
    ids=["count", "empty", "no-sequence", "log-append-time"],
)
def test_batches_kafka_refuses_from_a_client(tmp_path, bad, code):
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    with pytest.raises(KafkaError) as refused:
        partition.append(bad, acks=-1)
    assert refused.value.code == code
    assert partition.log_end_offset == 0


def test_a_coordinator_may_append_a_producer_batch_without_sequence(tmp_path):
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    txn_offsets = records.build_batch(
        [(b"k", b"v")], producer_id=7, producer_epoch=0, transactional=True
    )
    assert partition.append(txn_offsets, acks=-1, from_client=False).base_offset == 0


@pytest.mark.parametrize("codec", [records.NONE, records.ZSTD], ids=["none", "zstd"])
def test_a_batch_sent_without_its_max_timestamp_gets_the_records_largest(tmp_path, codec):
    """sarama leaves the batch's max timestamp -1; Kafka sets it from the records, and the
    time index and ListOffsets by time depend on it."""
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    partition.append(batch(1, ts=1000), acks=-1)
    sent = _restamped(batch(3, timestamps=[5000, 7000, 6000], compression=codec), max_timestamp=-1)
    assert partition.append(sent, acks=-1).base_offset == 1

    data = partition.log.read(1, 10_000)
    stored = records.parse_header(data)
    assert stored.max_timestamp == 7000
    records.validate_batch(data, 0, stored)  # the CRC covers the rewritten field
    assert partition.log.offset_for_timestamp(6500) == (2, 7000)
    assert partition.log.max_timestamp() == (2, 7000)


def test_a_batch_with_its_max_timestamp_is_stored_as_sent(tmp_path):
    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    sent = batch(2, timestamps=[5000, 6000])
    partition.append(sent, acks=-1)
    # the CRC covers attributes to the end: the same CRC means the same bytes there
    assert records.parse_header(partition.log.read(0, 10_000)).crc == records.parse_header(sent).crc


def test_idempotent_retries_are_recognised_after_an_unclean_reopen(tmp_path):
    # A producer whose batch was appended but not acknowledged before a crash retries it
    # against the restarted broker: recovery must rebuild the producer's sequences from the
    # log, so the retry is answered with the first append's offset and not stored again.
    def idem(seq: int) -> bytes:
        return records.build_batch(
            [(None, b"v%d" % seq)], producer_id=9, producer_epoch=0, base_sequence=seq
        )

    partition = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    for seq in range(3):
        partition.append(idem(seq), acks=-1)
    # no flush, no close: the next opening recovers, as after kill -9
    again = Partition(
        "t", 0, uuid.uuid4(), open_log(tmp_path / "t-0", recover=True, recovery_point=0),
        1, [1], [1],
    )
    assert again.append(idem(2), acks=-1).base_offset == 2  # the duplicate
    assert again.log_end_offset == 3
    assert again.append(idem(3), acks=-1).base_offset == 3
    with pytest.raises(KafkaError) as refused:
        again.append(idem(5), acks=-1)
    assert refused.value.code == ErrorCode.out_of_order_sequence_number
    assert spans(again.log.read(0, 10_000)) == [(0, 0), (1, 1), (2, 2), (3, 3)]
