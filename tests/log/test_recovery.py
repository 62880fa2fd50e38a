"""Recovery after an unclean stop, and index rebuilds when index files are missing or bad."""

from __future__ import annotations

import logging
import os

import pytest

from broker.log.log import LogConfig
from tests.log.helpers import SMALL, append, batch, open_log, spans


@pytest.fixture
def crashed(tmp_path):
    """A log of 20 one-record batches over several segments, closed without a flush."""
    path = tmp_path / "t-0"
    log = open_log(path)
    for i in range(20):
        append(log, batch(1, ts=1000 + i, size=150))
    assert len(log.segments()) >= 4
    log.close()
    return path


def segment_files(path):
    return sorted(path.glob("*.log"))


def reopen(path, **kw):
    return open_log(path, recover=True, **kw)


def test_intact_log_recovers_unchanged(crashed):
    log = reopen(crashed)
    assert log.log_end_offset == 20
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(20)]


def test_torn_tail_is_cut(crashed, caplog):
    last = segment_files(crashed)[-1]
    size = last.stat().st_size
    os.truncate(last, size - 7)  # the last batch lost its end
    with caplog.at_level(logging.WARNING, logger="broker.log"):
        log = reopen(crashed)
    assert log.log_end_offset == 19
    assert last.stat().st_size < size - 7
    assert "TruncatedBatch" in caplog.text
    assert append(log, batch(1)).base_offset == 19
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(20)]


def test_partial_header_is_cut(crashed):
    last = segment_files(crashed)[-1]
    size = last.stat().st_size
    with open(last, "ab") as f:
        f.write(b"\x00" * 30)
    log = reopen(crashed)
    assert log.log_end_offset == 20
    assert last.stat().st_size == size


def test_flipped_byte_fails_the_crc_and_cuts_there(crashed, caplog):
    files = segment_files(crashed)
    victim = files[1]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF  # inside the first batch's records
    victim.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="broker.log"):
        log = reopen(crashed)
    base = int(victim.name[:20])
    assert log.log_end_offset == base
    assert "ChecksumMismatch" in caplog.text
    assert [p.name for p in segment_files(crashed)] == [f.name for f in files[:2]]
    assert victim.stat().st_size == 0
    assert spans(log.read(0, 1 << 20)) == [(i, i) for i in range(base)]


def test_garbage_after_the_last_batch_is_cut(crashed):
    last = segment_files(crashed)[-1]
    size = last.stat().st_size
    with open(last, "ab") as f:
        f.write(os.urandom(500))
    log = reopen(crashed)
    assert log.log_end_offset == 20
    assert last.stat().st_size == size


def test_non_contiguous_offsets_are_cut(crashed, caplog):
    last = segment_files(crashed)[-1]
    data = bytearray(last.read_bytes())
    # Below the segment's base: offsets go back (gaps alone are legal, compaction makes them).
    data[0:8] = (0).to_bytes(8, "big")  # the base offset is outside the CRC
    last.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="broker.log"):
        log = reopen(crashed)
    assert log.log_end_offset == int(last.name[:20])
    assert "NonContiguousOffsets" in caplog.text


def test_recovery_starts_at_the_recovery_point(crashed):
    files = segment_files(crashed)
    # Corrupt an early segment: below the recovery point it is trusted, not scanned.
    early = files[0]
    data = bytearray(early.read_bytes())
    data[100] ^= 0xFF
    early.write_bytes(bytes(data))
    log = reopen(crashed, recovery_point=int(files[-1].name[:20]))
    assert log.log_end_offset == 20
    assert log.recovery_point == int(files[-1].name[:20])


def test_clean_open_still_checks_the_last_segment(crashed, caplog):
    last = segment_files(crashed)[-1]
    with open(last, "ab") as f:
        f.write(b"\x01" * 100)
    with caplog.at_level(logging.WARNING, logger="broker.log"):
        log = open_log(crashed)  # "clean"
    assert log.log_end_offset == 20
    assert "inconsistent after a clean stop" in caplog.text


def test_leader_epochs_are_rebuilt_by_recovery(tmp_path):
    path = tmp_path / "t-0"
    log = open_log(path)
    append(log, batch(2), epoch=1)
    append(log, batch(2), epoch=3)
    log.close()
    (path / "leader-epoch-checkpoint").write_text("garbage")
    log = reopen(path)
    assert log.leader_epochs() == [(1, 0), (3, 2)]
    last = segment_files(path)[-1]
    os.truncate(last, last.stat().st_size - 1)
    log.close()
    log = reopen(path)
    assert log.leader_epochs() == [(1, 0)]
    assert log.end_offset_for_epoch(1) == (1, 2)


@pytest.mark.parametrize("damage", ["missing", "odd-size", "unsorted", "past-end"])
def test_bad_index_files_are_rebuilt(tmp_path, damage, caplog):
    path = tmp_path / "t-0"
    cfg = LogConfig(segment_bytes=1 << 20, index_interval_bytes=64)
    log = open_log(path, cfg)
    for i in range(40):
        append(log, batch(1, ts=1000 + i, size=40))
    want = log.read(17, 300)
    log.flush()
    log.close()
    index = path / "00000000000000000000.index"
    timeindex = path / "00000000000000000000.timeindex"
    good = index.read_bytes()
    assert len(good) >= 16
    if damage == "missing":
        index.unlink()
        timeindex.unlink()
    elif damage == "odd-size":
        index.write_bytes(good + b"\x00\x00\x00")
    elif damage == "unsorted":
        index.write_bytes(good[8:16] + good[0:8] + good[16:])
    else:
        index.write_bytes(good[:-4] + (10**8).to_bytes(4, "big"))
    with caplog.at_level(logging.WARNING, logger="broker.log"):
        log = open_log(path, cfg)
        assert log.read(17, 300) == want
        assert log.offset_for_timestamp(1030) == (30, 1030)
    assert "rebuilding indexes" in caplog.text
    assert index.read_bytes() == good


def test_corrupt_time_index_is_rebuilt(tmp_path):
    path = tmp_path / "t-0"
    cfg = LogConfig(segment_bytes=1 << 20, index_interval_bytes=64)
    log = open_log(path, cfg)
    for i in range(40):
        append(log, batch(1, ts=1000 + i, size=40))
    log.flush()
    log.close()
    timeindex = path / "00000000000000000000.timeindex"
    good = timeindex.read_bytes()
    timeindex.write_bytes(good[12:24] + good[0:12] + good[24:])
    log = open_log(path, cfg)
    assert log.offset_for_timestamp(1022) == (22, 1022)
    assert timeindex.read_bytes() == good


def test_leftover_files_are_cleaned(tmp_path):
    path = tmp_path / "t-0"
    log = open_log(path, SMALL)
    append(log, batch(1))
    log.flush()
    log.close()
    (path / "00000000000000000077.index").write_bytes(b"")
    (path / "recovery.tmp").write_bytes(b"x")
    log = open_log(path, SMALL)
    assert not (path / "00000000000000000077.index").exists()
    assert not (path / "recovery.tmp").exists()
    assert log.log_end_offset == 1
