"""A refused append leaves nothing behind; describing a log leaks no file descriptors."""

from __future__ import annotations

import os

import pytest

from broker.log.log import LogConfig
from broker.log.offset_index import OffsetIndex
from broker.log.time_index import TimeIndex
from tests.log.helpers import append, batch, open_log, spans

# Every batch of ~60 bytes earns an index entry once 50 bytes have passed since the last one.
DENSE = LogConfig(segment_bytes=1 << 20, index_interval_bytes=50, segment_index_bytes=4096)
STEM = "00000000000000000000"


def _sizes(directory) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        (directory / (STEM + suffix)).stat().st_size for suffix in (".log", ".index", ".timeindex")
    )


@pytest.mark.parametrize("failing", ["offset", "time"])
def test_index_write_failure_undoes_the_whole_append(tmp_path, monkeypatch, failing):
    directory = tmp_path / "t-0"
    lg = open_log(directory, DENSE)
    append(lg, batch(1, ts=1000, size=30))
    append(lg, batch(1, ts=2000, size=30))
    lg.flush()
    before = _sizes(directory)
    assert before[1] > 0 and before[2] > 0  # the second batch was indexed
    state = lg.segments()[-1]

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "offset":
        monkeypatch.setattr(OffsetIndex, "append", disk_full)
    else:
        monkeypatch.setattr(TimeIndex, "maybe_append", disk_full)
    with pytest.raises(OSError):
        # Two batches: the first one's index entry is written before the second one fails.
        append(lg, batch(1, ts=3000, size=30), batch(1, ts=4000, size=30))
    monkeypatch.undo()

    assert _sizes(directory) == before
    after = lg.segments()[-1]
    assert (after.size_bytes, after.next_offset, after.max_timestamp) == (
        state.size_bytes,
        state.next_offset,
        state.max_timestamp,
    )
    # The next append takes the refused one's offsets, and its statistics count it alone.
    assert append(lg, batch(1, ts=2500, size=30)).base_offset == 2
    assert lg.segments()[-1].max_timestamp == 2500
    lg.close()

    reopened = open_log(directory, DENSE, recover=True)
    try:
        assert spans(reopened.read(0, 10_000)) == [(0, 0), (1, 1), (2, 2)]
        assert reopened.log_end_offset == 3
    finally:
        reopened.close()


def test_index_write_failure_then_restart_does_not_bring_the_batch_back(tmp_path, monkeypatch):
    directory = tmp_path / "t-0"
    lg = open_log(directory, DENSE)
    append(lg, batch(1, size=30))
    append(lg, batch(1, size=30))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(OffsetIndex, "append", disk_full)
    with pytest.raises(OSError):
        append(lg, batch(1, size=30))
    monkeypatch.undo()
    lg.close()
    # As after a crash: recovery scans every byte of the .log file.
    reopened = open_log(directory, DENSE, recover=True)
    try:
        assert reopened.log_end_offset == 2
        assert spans(reopened.read(0, 10_000)) == [(0, 0), (1, 1)]
    finally:
        reopened.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_segments_keeps_no_descriptor_open_per_segment(tmp_path):
    # One ~80-byte batch per 100-byte segment: 300 segments.
    cfg = LogConfig(segment_bytes=100, index_interval_bytes=4096, segment_index_bytes=4096)
    lg = open_log(tmp_path / "t-0", cfg)
    for i in range(300):
        append(lg, batch(1, ts=1000 + i, size=30))
    lg.close()

    lg = open_log(tmp_path / "t-0", cfg)
    try:
        before = _open_fds()
        infos = lg.segments()
        assert len(infos) == 300
        assert [s.first_timestamp for s in infos[:3]] == [1000, 1001, 1002]
        assert infos[-1].max_timestamp == 1299
        assert _open_fds() - before <= 3  # at most the active segment's files
        infos = lg.segments()  # a second look opens nothing more either
        assert _open_fds() - before <= 3
        assert [s.first_timestamp for s in infos[:3]] == [1000, 1001, 1002]
    finally:
        lg.close()
