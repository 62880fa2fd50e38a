"""Append/read round trips, read semantics, timestamps, truncation and deletion of a Log."""

from __future__ import annotations

import itertools
import os

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.log.log import LogConfig
from broker.protocol import records
from tests.log.helpers import SMALL, append, batch, open_log, spans


def test_append_assigns_contiguous_offsets_and_stamps_the_bytes(tmp_path):
    log = open_log(tmp_path / "t-0")
    r1 = append(log, batch(3), batch(2), epoch=4)
    r2 = append(log, batch(1), epoch=4)
    assert (r1.base_offset, r1.last_offset, r2.base_offset, r2.last_offset) == (0, 4, 5, 5)
    assert log.log_end_offset == 6
    data = log.read(0, 10_000)
    assert spans(data) == [(0, 2), (3, 4), (5, 5)]
    assert {h.partition_leader_epoch for _, h in records.iter_batches(data)} == {4}
    assert r1.log_append_time == -1


def test_log_append_time_is_stamped_and_crc_recomputed(tmp_path):
    log = open_log(tmp_path / "t-0")
    r = append(log, batch(2, ts=5), append_time=99_000)
    assert r.log_append_time == 99_000 and r.max_timestamp == 99_000
    data = log.read(0, 10_000)
    decoded = records.decode_batch(data)  # validates the CRC
    assert decoded.header.log_append_time
    assert [rec.timestamp for rec in decoded.records] == [99_000, 99_000]


def test_round_trip_across_size_rolls(tmp_path):
    log = open_log(tmp_path / "t-0")
    sent = [batch(2, size=100) for _ in range(40)]
    for b in sent:
        append(log, b)
    infos = log.segments()
    assert len(infos) > 5
    assert all(i.size_bytes <= SMALL.segment_bytes for i in infos)
    assert [i.active for i in infos] == [False] * (len(infos) - 1) + [True]
    for a, b in itertools.pairwise(infos):
        assert a.next_offset == b.base_offset
    data = log.read(0, 1 << 20)
    assert spans(data) == [(2 * i, 2 * i + 1) for i in range(40)]
    assert log.size_bytes == sum(len(b) for b in sent) == len(data)


def test_multi_batch_append_larger_than_a_segment_is_split_across_segments(tmp_path):
    log = open_log(tmp_path / "t-0")
    r = append(log, *[batch(1, size=300) for _ in range(8)])
    assert (r.base_offset, r.last_offset) == (0, 7)
    assert len(log.segments()) >= 3
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(8)]


def test_batch_larger_than_a_segment_is_refused(tmp_path):
    log = open_log(tmp_path / "t-0")
    with pytest.raises(KafkaError) as e:
        append(log, batch(1, size=2000))
    assert e.value.code == ErrorCode.record_list_too_large
    assert log.log_end_offset == 0


def test_time_based_roll(tmp_path):
    now = [1_000_000]
    cfg = LogConfig(segment_ms=60_000)
    log = open_log(tmp_path / "t-0", cfg, clock=lambda: now[0])
    append(log, batch(1))
    now[0] += 59_999
    append(log, batch(1))
    assert len(log.segments()) == 1
    now[0] += 1
    append(log, batch(1))
    infos = log.segments()
    assert [(i.base_offset, i.next_offset) for i in infos] == [(0, 2), (2, 3)]
    assert infos[1].created_ms == now[0]


def test_segment_jitter_takes_a_random_share_off_each_segments_age(tmp_path, monkeypatch):
    draws = iter([15_000, 40_000, 0])
    bounds = []
    monkeypatch.setattr(
        "broker.log.log.random.randrange", lambda bound: bounds.append(bound) or next(draws)
    )
    now = [1_000_000]
    cfg = LogConfig(segment_ms=60_000, segment_jitter_ms=100_000)
    log = open_log(tmp_path / "t-0", cfg, clock=lambda: now[0])
    append(log, batch(1))
    now[0] += 44_999
    append(log, batch(1))
    now[0] += 1  # 45 s: 60 s less the first segment's 15 s of jitter
    append(log, batch(1))
    now[0] += 19_999
    append(log, batch(1))
    now[0] += 1  # 20 s: the second segment drew 40 s
    append(log, batch(1))
    assert [(i.base_offset, i.next_offset) for i in log.segments()] == [(0, 2), (2, 4), (4, 5)]
    assert bounds[:2] == [60_000, 60_000]  # jitter stays below segment.ms


def test_roll_when_the_index_is_full(tmp_path):
    cfg = LogConfig(index_interval_bytes=0, segment_index_bytes=8 * 3)
    log = open_log(tmp_path / "t-0", cfg)
    for _ in range(7):
        append(log, batch(1))
    assert len(log.segments()) >= 2
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(7)]


def test_explicit_roll_and_empty_roll_is_a_no_op(tmp_path):
    log = open_log(tmp_path / "t-0")
    log.roll()
    assert len(log.segments()) == 1
    append(log, batch(2))
    log.roll()
    assert [(i.base_offset, i.size_bytes > 0) for i in log.segments()] == [(0, True), (2, False)]
    assert log.recovery_point == 2  # a roll fsyncs the finished segment


@pytest.fixture
def filled(tmp_path):
    """30 batches of 3 records (offsets 0..89), ~150 bytes each, across several segments."""
    log = open_log(tmp_path / "t-0")
    for i in range(30):
        append(log, batch(3, ts=1000 + i, size=30))
    return log


def test_read_returns_the_whole_batch_containing_the_offset(filled):
    assert spans(filled.read(7, 1))[0] == (6, 8)
    assert spans(filled.read(6, 1)) == [(6, 8)]
    assert spans(filled.read(8, 1)) == [(6, 8)]


def test_read_respects_max_bytes_with_whole_batches(filled):
    one = len(filled.read(0, 1))
    data = filled.read(0, 3 * one + one // 2)
    assert spans(data) == [(0, 2), (3, 5), (6, 8)]


def test_min_one_returns_a_first_batch_larger_than_max_bytes(filled):
    assert spans(filled.read(0, 10, min_one=True)) == [(0, 2)]
    assert filled.read(0, 10, min_one=False) == b""
    assert spans(filled.read(0, 0)) == [(0, 2)]


def test_read_stops_below_the_upper_bound(filled):
    assert spans(filled.read(0, 1 << 20, upper_bound=7)) == [(0, 2), (3, 5), (6, 8)]
    assert spans(filled.read(0, 1 << 20, upper_bound=6)) == [(0, 2), (3, 5)]
    assert filled.read(6, 1 << 20, upper_bound=6) == b""


def test_read_continues_into_later_segments(filled):
    assert len(filled.segments()) > 3
    data = filled.read(10, 1 << 20)
    assert spans(data) == [(3 * i, 3 * i + 2) for i in range(3, 30)]


def test_read_at_the_end_is_empty_and_outside_is_out_of_range(filled):
    assert filled.read(90, 1000) == b""
    for bad in (-1, 91):
        with pytest.raises(KafkaError) as e:
            filled.read(bad, 1000)
        assert e.value.code == ErrorCode.offset_out_of_range
    filled.delete_records_before(30)
    with pytest.raises(KafkaError):
        filled.read(29, 1000)
    assert spans(filled.read(30, 1))[0] == (30, 32)


def test_batch_headers_from_an_offset(filled):
    assert [h.base_offset for h in filled.batch_headers(44)] == list(range(42, 90, 3))
    assert len(list(filled.batch_headers())) == 30


def test_offset_for_timestamp_finds_the_first_record_at_or_after(tmp_path):
    log = open_log(tmp_path / "t-0")
    # Timestamps go back and forth: the answer is the first record with ts >= target.
    append(log, batch(3, timestamps=[100, 500, 200]))  # offsets 0-2
    append(log, batch(2, timestamps=[300, 300]))  # 3-4
    for i in range(20):
        append(log, batch(1, ts=1000 + 10 * i, size=60))  # 5-24
    append(log, batch(2, timestamps=[50, 5000], compression=records.GZIP))  # 25-26
    assert log.offset_for_timestamp(0) == (0, 100)
    assert log.offset_for_timestamp(150) == (1, 500)
    assert log.offset_for_timestamp(501) == (5, 1000)
    assert log.offset_for_timestamp(1095) == (15, 1100)
    assert log.offset_for_timestamp(1191) == (26, 5000)
    assert log.offset_for_timestamp(5001) is None
    log.delete_records_before(2)
    assert log.offset_for_timestamp(150) == (2, 200)


def test_offset_for_timestamp_with_log_append_time(tmp_path):
    log = open_log(tmp_path / "t-0")
    append(log, batch(3, ts=1), append_time=7000)
    append(log, batch(3, ts=1), append_time=8000)
    assert log.offset_for_timestamp(7500) == (3, 8000)
    assert log.max_timestamp() == (3, 8000)


def test_max_timestamp(tmp_path):
    log = open_log(tmp_path / "t-0")
    assert log.max_timestamp() is None
    append(log, batch(3, timestamps=[10, 90, 20]))
    for i in range(15):
        append(log, batch(1, ts=50 + i, size=80))
    append(log, batch(2, timestamps=[90, 30]))
    assert log.max_timestamp() == (1, 90)  # ties: the first record wins
    log.delete_records_before(2)
    # Only records from offset 2 count now: the 90 at offset 18 is the first left.
    assert log.max_timestamp() == (18, 90)


def test_delete_records_before_deletes_whole_segments_only(filled):
    before = filled.segments()
    assert filled.delete_records_before(40) == 40
    after = filled.segments()
    assert after[0].base_offset <= 40 < after[0].next_offset
    assert len(after) < len(before)
    assert filled.log_start_offset == 40
    assert filled.delete_records_before(10) == 40  # never moves back
    assert filled.delete_records_before(1000) == 90  # never past the end
    assert filled.read(90, 100) == b""
    assert [i.size_bytes for i in filled.segments()] == [0]
    append(filled, batch(1))
    assert spans(filled.read(90, 100)) == [(90, 90)]


def test_truncate_to_removes_whole_batches(filled):
    filled.flush()
    filled.truncate_to(50)  # inside batch 48-50: the whole batch goes
    assert filled.log_end_offset == 48
    assert filled.recovery_point == 48
    assert spans(filled.read(0, 1 << 20))[-1] == (45, 47)
    r = append(filled, batch(2))
    assert (r.base_offset, r.last_offset) == (48, 49)
    filled.truncate_to(0)
    assert filled.log_end_offset == 0 and filled.read(0, 100) == b""


def test_flush_messages_advances_the_recovery_point(tmp_path):
    log = open_log(tmp_path / "t-0", LogConfig(flush_messages=5))
    append(log, batch(3))
    assert log.recovery_point == 0
    append(log, batch(2))
    assert log.recovery_point == 5


def test_flush_if_due(tmp_path):
    now = [0]
    log = open_log(tmp_path / "t-0", LogConfig(flush_ms=1000), clock=lambda: now[0])
    assert not log.flush_if_due(5000)  # nothing to flush
    append(log, batch(1))
    assert not log.flush_if_due(999)
    assert log.flush_if_due(1000)
    assert log.recovery_point == 1


def test_update_config_applies_to_later_rolls(tmp_path):
    log = open_log(tmp_path / "t-0", LogConfig())
    append(log, batch(1, size=500))
    log.update_config(SMALL)
    append(log, batch(1, size=600))
    assert len(log.segments()) == 2
    assert log.config == SMALL


def test_reopen_after_clean_close_keeps_everything(filled, tmp_path):
    data = filled.read(0, 1 << 20)
    filled.delete_records_before(20)
    filled.flush()
    filled.close()
    log = open_log(tmp_path / "t-0", log_start_offset=20)
    assert (log.log_start_offset, log.log_end_offset) == (20, 90)
    assert log.recovery_point == 90
    assert log.read(21, 1 << 20) == data[data.index(log.read(21, 1)) :]
    assert log.offset_for_timestamp(1025) == (75, 1025)
    r = append(log, batch(1))
    assert r.base_offset == 90


def test_delete_removes_the_directory(filled, tmp_path):
    filled.delete()
    assert not (tmp_path / "t-0").exists()


def test_write_failure_leaves_the_log_unchanged(tmp_path, monkeypatch):
    log = open_log(tmp_path / "t-0")
    append(log, batch(2))

    def broken(fd, data, pos):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", broken)
    with pytest.raises(OSError):
        append(log, batch(2))
    monkeypatch.undo()
    assert log.log_end_offset == 2
    r = append(log, batch(1))
    assert r.base_offset == 2
    assert spans(log.read(0, 1000)) == [(0, 1), (2, 2)]
