from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.protocol import records as R

keys = st.one_of(st.none(), st.binary(max_size=40))
headers = st.lists(
    st.tuples(st.text(max_size=10), st.one_of(st.none(), st.binary(max_size=10))), max_size=3
)


@given(
    st.lists(st.tuples(keys, keys, headers), min_size=1, max_size=20),
    st.sampled_from(sorted(R.CODEC_NAMES)),
    st.integers(0, 2**40),
)
def test_build_then_decode_round_trips(rows, codec, ts):
    recs = [R.Record(100 + i, ts + i, k, v, h) for i, (k, v, h) in enumerate(rows)]
    data = R.build_batch(recs, base_offset=100, compression=codec)
    batch = R.decode_batch(data)
    assert batch.header.compression == codec
    assert batch.header.base_offset == 100 and batch.header.last_offset == 100 + len(rows) - 1
    assert [(r.offset, r.timestamp, r.key, r.value, r.headers) for r in batch.records] == [
        (r.offset, r.timestamp, r.key, r.value, [(k, v) for k, v in r.headers]) for r in recs
    ]


def test_offsets_with_gaps_survive_a_rewrite():
    recs = [R.Record(10, 1, b"a", b"1"), R.Record(17, 2, b"b", None)]
    batch = R.decode_batch(R.build_batch(recs, base_offset=10))
    assert [r.offset for r in batch.records] == [10, 17]
    assert batch.records[1].value is None


def test_any_flipped_byte_under_the_crc_is_detected():
    data = bytearray(R.build_batch([(b"k", b"value")], compression=R.NONE))
    for i in range(21, len(data)):
        corrupt = bytearray(data)
        corrupt[i] ^= 0x01
        with pytest.raises(R.CorruptRecordError):
            R.validate_batch(corrupt, 0, R.parse_header(corrupt))


def test_base_offset_and_leader_epoch_are_outside_the_crc():
    data = bytearray(R.build_batch([(b"k", b"v")]))
    R.set_base_offset(data, 0, 12345)
    R.set_partition_leader_epoch(data, 0, 7)
    h = R.parse_header(data)
    R.validate_batch(data, 0, h)
    assert h.base_offset == 12345 and h.partition_leader_epoch == 7


def test_log_append_time_rewrites_timestamps_and_crc():
    data = bytearray(R.build_batch([(b"k", b"v"), (b"k2", b"v2")], timestamp_ms=5))
    h = R.parse_header(data)
    R.set_log_append_time(data, 0, h, 999)
    batch = R.decode_batch(data)
    assert batch.header.log_append_time
    assert [r.timestamp for r in batch.records] == [999, 999]


def test_iter_batches_rejects_a_truncated_tail():
    one = R.build_batch([(b"k", b"v")])
    assert len(list(R.iter_batches(one + one))) == 2
    with pytest.raises(R.CorruptRecordError):
        list(R.iter_batches(one + one[:30]))


def test_wrong_magic_and_short_length_are_corrupt():
    data = bytearray(R.build_batch([(b"k", b"v")]))
    data[16] = 1
    with pytest.raises(R.CorruptRecordError, match="magic"):
        R.parse_header(data)
    data = bytearray(R.build_batch([(b"k", b"v")]))
    data[8:12] = (3).to_bytes(4, "big")
    with pytest.raises(R.CorruptRecordError):
        R.parse_header(data)


def test_sequences_wrap_at_int32_max():
    data = R.build_batch(
        [(None, b"a"), (None, b"b")], producer_id=1, producer_epoch=0, base_sequence=2**31 - 1
    )
    assert R.parse_header(data).last_sequence == 0


@given(st.integers(-(2**63), 2**63 - 1))
def test_varints_round_trip(n):
    out = bytearray()
    R.write_varint(out, n)
    assert R.read_varint(bytes(out), 0) == (n, len(out))


@pytest.mark.parametrize("codec", [R.GZIP, R.SNAPPY, R.LZ4, R.ZSTD])
def test_a_decompression_bomb_stops_at_the_limit(codec, monkeypatch):
    import tracemalloc

    limit = 1 << 20
    monkeypatch.setattr(R, "MAX_DECOMPRESSED_BYTES", limit)
    assert R.decompress(codec, R.compress(codec, b"\0" * limit)) == b"\0" * limit
    bomb = R.compress(codec, b"\0" * (16 * limit))
    tracemalloc.start()
    try:
        with pytest.raises(R.CorruptRecordError, match="decompress to more than"):
            R.decompress(codec, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * limit + len(bomb)  # buffers up to the limit, never the 16 MiB


def test_corrupt_compressed_data_is_corrupt_not_too_large():
    with pytest.raises(R.CorruptRecordError, match="does not decompress"):
        R.decompress(R.ZSTD, b"\x28\xb5\x2f\xfd" + b"garbage" * 10)
