"""Offset and time index files on their own."""

from __future__ import annotations

import pytest

from broker.log.offset_index import CorruptIndexError, OffsetIndex
from broker.log.time_index import TimeIndex


def test_offset_index_lookup_and_reload(tmp_path):
    path = tmp_path / "x.index"
    idx = OffsetIndex(path, 1000, 1024)
    for off, pos in [(1010, 300), (1020, 700), (1035, 1200)]:
        idx.append(off, pos)
    assert [idx.lookup(o) for o in (1000, 1009, 1010, 1034, 1035, 9999)] == [
        0, 0, 300, 700, 1200, 1200,
    ]  # fmt: skip
    assert path.stat().st_size == 24
    idx.close()
    again = OffsetIndex.load(path, 1000, 1024, log_size=1500)
    assert again.lookup(1025) == 700 and again.last_entry() == (1035, 1200)
    with pytest.raises(CorruptIndexError):
        OffsetIndex.load(path, 1000, 1024, log_size=1200)  # an entry past the log


def test_offset_index_refuses_going_backwards_and_stops_when_full(tmp_path):
    idx = OffsetIndex(tmp_path / "x.index", 0, 16)
    idx.append(5, 100)
    with pytest.raises(ValueError):
        idx.append(5, 200)
    idx.append(9, 150)
    assert idx.is_full
    idx.append(20, 400)  # ignored: a sparser index is still correct
    assert len(idx) == 2 and idx.lookup(25) == 150


def test_time_index_lookup_and_reload(tmp_path):
    path = tmp_path / "x.timeindex"
    idx = TimeIndex(path, 50, 1024)
    idx.maybe_append(1000, 50)
    idx.maybe_append(1000, 60)  # the maximum did not grow: no entry
    idx.maybe_append(2000, 70)
    idx.maybe_append(3000, 90)
    assert len(idx) == 3
    assert [idx.lookup(t) for t in (500, 1000, 1001, 2000, 2500, 9000)] == [50, 50, 50, 50, 70, 90]
    idx.close()
    again = TimeIndex.load(path, 50, 1024, next_offset=100)
    assert again.last_entry() == (3000, 90)
    with pytest.raises(CorruptIndexError):
        TimeIndex.load(path, 50, 1024, next_offset=90)  # an offset past the segment
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(CorruptIndexError):
        TimeIndex.load(path, 50, 1024, next_offset=100)
