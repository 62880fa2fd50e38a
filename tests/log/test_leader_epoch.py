"""The leader-epoch cache: assignment, OffsetForLeaderEpoch answers, truncation, the file."""

from __future__ import annotations

import pytest

from broker.log.leader_epoch import (
    FILE_NAME,
    CorruptEpochCheckpointError,
    EpochEntry,
    LeaderEpochCache,
)
from tests.log.helpers import append, batch, open_log


@pytest.fixture
def cache(tmp_path):
    c = LeaderEpochCache.load(tmp_path)
    for epoch, start in [(1, 0), (3, 100), (5, 250)]:
        assert c.assign(epoch, start)
    return c


def test_file_format_and_reload(cache, tmp_path):
    assert (tmp_path / FILE_NAME).read_text() == "0\n3\n1 0\n3 100\n5 250\n"
    assert LeaderEpochCache.load(tmp_path).entries == cache.entries


def test_assign_ignores_a_repeat_and_drops_conflicting_entries(cache):
    assert not cache.assign(5, 300)
    assert cache.assign(4, 120)  # a new leader's history overrides ours from epoch 4 on
    assert cache.entries == [EpochEntry(1, 0), EpochEntry(3, 100), EpochEntry(4, 120)]


@pytest.mark.parametrize(
    ("requested", "answer"),
    [
        (5, (5, 400)),  # the latest epoch ends at the log end
        (3, (3, 250)),
        (4, (3, 250)),  # unknown epoch in between: the largest one below it
        (0, (0, 0)),  # older than everything: the first known start
        (6, (-1, -1)),  # newer than anything
        (-1, (-1, -1)),
    ],
)
def test_end_offset_for(cache, requested, answer):
    assert cache.end_offset_for(requested, 400) == answer


def test_empty_cache_knows_nothing(tmp_path):
    assert LeaderEpochCache.load(tmp_path).end_offset_for(0, 10) == (-1, -1)


def test_truncation(cache):
    cache.truncate_from_end(250)
    assert cache.latest_epoch == 3
    cache.truncate_from_start(150)
    assert cache.entries == [EpochEntry(3, 150)]


def test_corrupt_file_is_reported(tmp_path):
    for text in ("1\n0\n", "0\n2\n1 0\n", "0\n2\n3 5\n1 9\n", "zero"):
        (tmp_path / FILE_NAME).write_text(text)
        with pytest.raises(CorruptEpochCheckpointError):
            LeaderEpochCache.load(tmp_path)


def test_log_tracks_epochs_of_appends(tmp_path):
    log = open_log(tmp_path / "t-0")
    append(log, batch(2), epoch=0)
    append(log, batch(2), epoch=0)
    append(log, batch(1), epoch=2)
    log.assign_leader_epoch(3)
    assert log.leader_epochs() == [(0, 0), (2, 4), (3, 5)]
    assert log.end_offset_for_epoch(0) == (0, 4)
    assert log.end_offset_for_epoch(1) == (0, 4)
    assert log.end_offset_for_epoch(3) == (3, 5)
    log.truncate_to(3)  # removes the batch 2-3 and everything after
    assert log.leader_epochs() == [(0, 0)]
    log.delete_records_before(1)
    assert log.leader_epochs() == [(0, 1)]
    log.flush()
    log.close()
    assert open_log(tmp_path / "t-0").leader_epochs() == [(0, 1)]
