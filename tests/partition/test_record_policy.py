"""Topic settings that need records: re-encoding in the topic's codec, timestamp bounds and
keys on compacted topics, on their own and through Partition.append."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from broker.config import LONG_MAX
from broker.errors import ErrorCode, KafkaError
from broker.partition.partition import Partition, PartitionSettings
from broker.partition.record_policy import RecordPolicy
from broker.protocol import records
from broker.protocol.records import Record
from tests.log.helpers import open_log

CODECS = [records.NONE, records.GZIP, records.SNAPPY, records.LZ4, records.ZSTD]
DEFAULTS = {
    "compression.type": "producer",
    "message.timestamp.type": "CreateTime",
    "message.timestamp.before.max.ms": str(LONG_MAX),
    "message.timestamp.after.max.ms": str(LONG_MAX),
    "cleanup.policy": "delete",
    "compression.gzip.level": "-1",
    "compression.lz4.level": "9",
    "compression.zstd.level": "3",
}


def sample_records() -> list[Record]:
    """Records whose fields all matter: a gap in offsets, a timestamp below the first one,
    null and empty keys and values, headers with a null value."""
    return [
        Record(0, 5_000, b"k0", b"v" * 300, [("h1", b"a"), ("h2", None)]),
        Record(1, 4_000, None, b"", []),
        Record(3, 9_000, b"", None, [("", b"")]),
    ]


def sample_batch(compression: int = records.NONE, **kw) -> bytes:
    return records.build_batch(
        sample_records(),
        compression=compression,
        producer_id=7,
        producer_epoch=3,
        base_sequence=40,
        partition_leader_epoch=2,
        transactional=True,
        **kw,
    )


@pytest.mark.parametrize("source", CODECS)
@pytest.mark.parametrize("target", CODECS)
def test_recompression_keeps_every_field_but_the_codec(source, target):
    sent = sample_batch(source)
    h = records.parse_header(sent)
    out = records.recompress_batch(sent, 0, h, target)

    got = records.parse_header(out)
    records.validate_batch(out, 0, got)  # the new CRC-32C is right
    assert got.compression == target
    assert got.size == len(out)
    keep = [
        "base_offset", "partition_leader_epoch", "last_offset_delta", "base_timestamp",
        "max_timestamp", "producer_id", "producer_epoch", "base_sequence", "records_count",
    ]  # fmt: skip
    assert [getattr(got, f) for f in keep] == [getattr(h, f) for f in keep]
    assert got.attributes & ~records.COMPRESSION_MASK == h.attributes & ~records.COMPRESSION_MASK
    assert got.is_transactional
    # the record bytes themselves are identical, so every delta survives exactly
    assert records.batch_payload(out, 0, got) == records.batch_payload(sent, 0, h)
    assert records.decode_batch(out).records == sample_records()
    if source == records.NONE and target != records.NONE:
        assert len(out) < len(sent)  # 300 'v's compress


@pytest.mark.parametrize("log_append_time", [False, True])
def test_record_stamps_agree_with_decoded_records(log_append_time):
    data = sample_batch(records.SNAPPY, log_append_time=log_append_time)
    h = records.parse_header(data)
    decoded = records.decode_batch(data).records
    stamps = records.record_stamps(h, records.batch_payload(data, 0, h))
    assert stamps == [(r.timestamp, r.key is not None) for r in decoded]
    assert [has_key for _, has_key in stamps] == [True, False, True]


def test_no_policy_for_default_settings_and_one_field_per_setting():
    assert RecordPolicy.from_config(DEFAULTS) is None
    assert RecordPolicy.from_config({**DEFAULTS, "compression.type": "uncompressed"}) == (
        RecordPolicy(codec=records.NONE)
    )
    assert RecordPolicy.from_config({**DEFAULTS, "cleanup.policy": "compact,delete"}) == (
        RecordPolicy(compacted=True)
    )
    bounded = {**DEFAULTS, "message.timestamp.after.max.ms": "1000"}
    assert RecordPolicy.from_config(bounded) == RecordPolicy(after_max_ms=1000)
    # LogAppendTime topics replace the timestamps, so the bounds do not apply (as in Kafka)
    assert RecordPolicy.from_config({**bounded, "message.timestamp.type": "LogAppendTime"}) is None


def test_the_topic_codec_comes_with_its_level():
    def policy(**cfg: str) -> RecordPolicy | None:
        return RecordPolicy.from_config({**DEFAULTS, **cfg})

    assert policy(**{"compression.type": "zstd"}) == RecordPolicy(codec=records.ZSTD, level=3)
    tuned = {"compression.zstd.level": "19", "compression.lz4.level": "1"}
    assert policy(**{"compression.type": "zstd", **tuned}).level == 19
    assert policy(**{"compression.type": "lz4", **tuned}).level == 1
    assert policy(**{"compression.type": "gzip"}).level is None  # -1: gzip's own default
    assert policy(**{"compression.type": "gzip", "compression.gzip.level": "1"}).level == 1
    assert policy(**{"compression.type": "snappy"}).level is None  # snappy has no levels
    assert policy(**tuned) is None  # levels alone change nothing: producer keeps batches


def test_the_level_is_used_when_reencoding():
    text = [Record(i, 0, b"k", b"the same words again and again %d " % (i % 7) * 20, [])
            for i in range(200)]
    plain = records.build_batch(text)
    sizes = {}
    for level in (1, 19):
        _, _, (out, _) = apply(RecordPolicy(codec=records.ZSTD, level=level), plain)
        assert records.decode_batch(out).records == records.decode_batch(plain).records
        sizes[level] = len(out)
    assert sizes[19] < sizes[1]


def apply(policy: RecordPolicy, data: bytes, max_message_bytes: int = 1 << 20):
    buf = bytearray(data)
    batches = list(records.iter_batches(buf))
    return buf, batches, policy.apply(
        buf, batches, max_message_bytes=max_message_bytes, partition_name="t-0"
    )


def test_batches_already_in_the_topic_codec_are_left_in_place():
    data = sample_batch(records.GZIP) + sample_batch(records.GZIP)
    buf, batches, (out, out_batches) = apply(RecordPolicy(codec=records.GZIP), data)
    assert out is buf and out_batches is batches


def test_only_batches_in_another_codec_are_reencoded_among_several():
    first, second = sample_batch(records.ZSTD), sample_batch(records.NONE)
    _, _, (out, out_batches) = apply(RecordPolicy(codec=records.ZSTD), first + second)
    assert bytes(out[: len(first)]) == first  # kept byte for byte
    assert [h.compression for _, h in out_batches] == [records.ZSTD, records.ZSTD]
    assert [pos for pos, _ in out_batches] == [0, len(first)]
    assert out_batches[-1][0] + out_batches[-1][1].size == len(out)


def test_a_batch_too_large_once_reencoded_is_refused():
    data = records.build_batch([(b"k", bytes(range(256)) * 4)], compression=records.ZSTD)
    with pytest.raises(KafkaError) as e:
        apply(RecordPolicy(codec=records.GZIP), data, max_message_bytes=len(data) - 1)
    assert e.value.code == ErrorCode.message_too_large


@pytest.mark.parametrize("codec", [records.NONE, records.LZ4])
def test_compacted_topics_refuse_keyless_records_even_compressed(codec):
    policy = RecordPolicy(compacted=True)
    keyed = records.build_batch([(b"a", b"1"), (b"", b"2"), (b"c", None)], compression=codec)
    apply(policy, keyed)  # an empty key is a key; a null value is a tombstone
    keyless = records.build_batch([(b"a", b"1"), (None, b"2")], compression=codec)
    with pytest.raises(KafkaError) as e:
        apply(policy, keyless)
    assert e.value.code == ErrorCode.invalid_record
    assert "Compacted topic cannot accept message without key" in e.value.message


def stamped(*timestamps: int, compression: int = records.NONE) -> bytes:
    recs = [Record(i, ts, b"k", b"v") for i, ts in enumerate(timestamps)]
    return records.build_batch(recs, compression=compression)


def test_timestamps_are_checked_record_by_record_against_both_bounds():
    now = int(time.time() * 1000)
    policy = RecordPolicy(before_max_ms=60_000, after_max_ms=60_000)
    apply(policy, stamped(now - 30_000, now, now + 30_000, -1))  # -1: no timestamp, unchecked
    for ts, side in [(now - 3_600_000, "before"), (now + 3_600_000, "after")]:
        # the out-of-range record is neither first nor last: every record is looked at
        with pytest.raises(KafkaError) as e:
            apply(policy, stamped(now, ts, now, compression=records.SNAPPY))
        assert e.value.code == ErrorCode.invalid_timestamp
        assert f"message.timestamp.{side}.max.ms 60000" in e.value.message
    # one bound alone leaves the other side open
    apply(RecordPolicy(after_max_ms=60_000), stamped(0))
    apply(RecordPolicy(before_max_ms=60_000), stamped(now + 3_600_000))


class FrozenClock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def time(self) -> float:
        return self.ms / 1000


def with_header(data: bytes, **fields: int) -> bytes:
    """``data`` with header fields overwritten (and the CRC made right again), records kept."""
    h = records.parse_header(data)
    for name, value in fields.items():
        setattr(h, name, value)
    out = bytearray(records._HEADER.pack(*dataclasses.astuple(h)) + data[records.HEADER_SIZE :])
    records._U32.pack_into(out, 17, records.crc_of(out, 0, len(out)))
    return bytes(out)


def test_timestamp_bounds_are_inclusive_and_read_from_the_records_not_the_header(monkeypatch):
    now = 1_700_000_000_000
    monkeypatch.setattr("broker.partition.record_policy.time", FrozenClock(now))
    policy = RecordPolicy(before_max_ms=1_000, after_max_ms=1_000)
    apply(policy, stamped(now - 1_000, now + 1_000))  # exactly on both bounds
    for ts in (now - 1_001, now + 1_001):
        with pytest.raises(KafkaError):
            apply(policy, stamped(ts))
    # The header's first and max timestamps in range, a record out of it: a second record
    # 60 ms before the first (a negative delta), or a max timestamp that understates.
    early = stamped(now - 990, now - 990)
    # the last record is 9 bytes: length, attributes, timestamp delta, offset delta, ...
    early = early[:-7] + bytes([records._zigzag(-60)]) + early[-6:]
    early = with_header(early, max_timestamp=now - 990)
    assert records.parse_header(early).base_timestamp == now - 990
    assert [r.timestamp for r in records.decode_batch(early).records] == [now - 990, now - 1050]
    late = with_header(stamped(now, now + 5_000), max_timestamp=now)
    for batch in (early, late):
        with pytest.raises(KafkaError) as e:
            apply(policy, batch)
        assert e.value.code == ErrorCode.invalid_timestamp


def test_a_corrupt_compressed_payload_is_corrupt_message():
    good = bytearray(sample_batch(records.GZIP))
    good[records.HEADER_SIZE + 12 :] = b"\x00" * (len(good) - records.HEADER_SIZE - 12)
    records._U32.pack_into(good, 17, records.crc_of(good, 0, len(good)))  # CRC fine, data not
    with pytest.raises(KafkaError) as e:
        apply(RecordPolicy(codec=records.ZSTD), bytes(good))
    assert e.value.code == ErrorCode.corrupt_message


def partition(tmp_path, policy: RecordPolicy | None) -> Partition:
    p = Partition("t", 0, uuid.uuid4(), open_log(tmp_path / "t-0"), 1, [1], [1])
    p.settings = PartitionSettings(record_policy=policy)
    return p


def test_append_stores_reencoded_batches_with_offsets_and_dedups_retries(tmp_path):
    p = partition(tmp_path, RecordPolicy(codec=records.GZIP))
    p.append(records.build_batch([(b"x", b"y")]), acks=-1)
    sent = sample_batch()
    # from_client=False: the sample's offset gap is refused from a client, as Kafka does,
    # and is here to show that re-encoding keeps offsets as it finds them
    assert p.append(sent, acks=-1, from_client=False).base_offset == 1
    # the producer's retry of the same batch is answered with the first append's offset
    assert p.append(sent, acks=-1, from_client=False).base_offset == 1
    stored = p.read(0, 1 << 20, min_one=True)
    batches = list(records.decode_batches(stored))
    assert [b.header.compression for b in batches] == [records.GZIP, records.GZIP]
    assert [(b.header.base_offset, b.header.last_offset) for b in batches] == [(0, 0), (1, 4)]
    assert [r.offset - 1 for r in batches[1].records] == [r.offset for r in sample_records()]
    assert batches[1].header.base_sequence == 40 and p.log_end_offset == 5


def test_append_refuses_a_batch_without_storing_any(tmp_path):
    p = partition(tmp_path, RecordPolicy(compacted=True, codec=records.ZSTD))
    with pytest.raises(KafkaError) as e:
        p.append(sample_batch(), acks=-1)  # a keyless record: refused before re-encoding
    assert e.value.code == ErrorCode.invalid_record
    assert p.log_end_offset == 0 and p.read(0, 1 << 20, min_one=True) == b""
