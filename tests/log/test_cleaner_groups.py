"""The cleaner groups small segments into one (Kafka's groupSegmentsBySize): sizes, index
and offset-span limits, reads and lookups after grouping, the tombstone horizon of a group,
and a crash at every step of a group's swap."""

from __future__ import annotations

import logging
import os
import shutil
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from broker.log.cleaner import LogCleaner, _size_groups
from broker.log.log import INT32_MAX, Log, LogConfig
from broker.log.manager import LogManager
from broker.log.txn_index import AbortedTxn
from broker.protocol import records
from broker.protocol.control_records import marker_batch
from tests.log.helpers import append, open_log
from tests.log.test_cleaner import CONFIG, KEEP_TOMBSTONES, clean, keyed, read_records, setup

RETENTION_MS = KEEP_TOMBSTONES.delete_retention_ms


def stamped(pairs: list[tuple[bytes, bytes | None]], ts: int) -> bytes:
    return records.build_batch([records.Record(i, ts, k, v) for i, (k, v) in enumerate(pairs)])


def triples(lg: Log) -> list[tuple[int, bytes | None, bytes | None]]:
    return [(r.offset, r.key, r.value) for r in read_records(lg)]


def lookups(lg: Log, stamps: range) -> list[tuple[int, int] | None]:
    return [lg.offset_for_timestamp(ts) for ts in stamps] + [lg.max_timestamp()]


def test_many_small_segments_become_few_within_segment_bytes(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    latest: dict[bytes, tuple[int, bytes]] = {}
    for i in range(240):
        key, value = b"k%d" % (i % 40), b"v%d-" % i + b"x" * 60
        offset = append(lg, stamped([(key, value)], 1_000 + i)).base_offset
        latest[key] = (offset, value)
        if i % 3 == 2:
            lg.roll()
    lg.roll()
    before = len(lg.closed_segments())
    assert before == 80
    result = clean(cleaner, lg)
    assert result.segments == before and result.segments_written < before // 5
    # Another pass over the now small clean segments packs them further.
    clean(cleaner, lg)
    closed = lg.closed_segments()
    total = sum(s.size for s in closed)
    assert all(s.size <= CONFIG.segment_bytes for s in closed)
    # Greedy grouping: two neighbours never fit together, so at most 2 * total / limit + 1.
    assert len(closed) <= 2 * total // CONFIG.segment_bytes + 1 and len(closed) < 10
    want = sorted((o, k, v) for k, (o, v) in latest.items())
    assert triples(lg) == want
    # Each kept record is found from its offset (indexes) and from its timestamp.
    for offset, key, _ in want:
        batch = records.decode_batch(lg.read(offset, 1, min_one=True))
        assert (batch.records[0].offset, batch.records[0].key) == (offset, key)
    stamps = range(990, 1_250, 7)
    expected = [
        next(((o, 1_000 + o) for o, _, _ in want if 1_000 + o >= ts), None) for ts in stamps
    ]
    assert lookups(lg, stamps) == [*expected, (want[-1][0], 1_000 + want[-1][0])]
    layout = [(s.base_offset, s.next_offset, s.size) for s in lg.closed_segments()]
    end = lg.log_end_offset
    lg.close()
    for recover in (False, True):
        reopened = open_log(tmp_path / "t-0", CONFIG, recover=recover, recovery_point=0)
        assert triples(reopened) == want and reopened.log_end_offset == end
        assert lookups(reopened, stamps) == [*expected, (want[-1][0], 1_000 + want[-1][0])]
        got = [(s.base_offset, s.next_offset, s.size) for s in reopened.closed_segments()]
        assert got == layout
        reopened.close()


def test_groups_stay_within_segment_index_bytes(tmp_path):
    tight = LogConfig(segment_bytes=1 << 20, index_interval_bytes=64, segment_index_bytes=96)
    lg = open_log(tmp_path / "t-0", tight)
    for i in range(60):
        append(lg, keyed([(b"k%d" % i, b"v" * 40)]))  # distinct keys: nothing is removed
        if i % 6 == 5:
            lg.roll()
    lg.flush()
    closed = lg.closed_segments()
    groups = _size_groups(closed, tight)
    assert 1 < len(groups) < len(closed)
    for group in groups:
        assert sum(s.index_path.stat().st_size for s in group) <= 96
        assert sum(s.time_index_path.stat().st_size for s in group) <= 96
    roomy = LogConfig(segment_bytes=1 << 20, index_interval_bytes=64)
    assert len(_size_groups(closed, roomy)) == 1


def test_groups_span_less_than_two_to_the_31_offsets(tmp_path):
    far = INT32_MAX + 100
    lg = open_log(tmp_path / "t-0", CONFIG)
    append(lg, keyed([(b"a", b"1")]))
    lg.roll()
    lg.close()
    (tmp_path / "t-0" / f"{1:020d}.log").unlink()  # the empty active segment
    other = open_log(tmp_path / "far", CONFIG, log_start_offset=far)
    append(other, keyed([(b"b", b"1")]))
    other.roll()
    append(other, keyed([(b"c", b"1")]))
    other.flush()
    other.close()
    for path in (tmp_path / "far").glob("0*"):
        shutil.move(path, tmp_path / "t-0" / path.name)
    lg = open_log(tmp_path / "t-0", CONFIG, recover=True, recovery_point=0)
    closed = lg.closed_segments()
    assert [s.base_offset for s in closed] == [0, far]
    assert _size_groups(closed, CONFIG) == [[closed[0]], [closed[1]]]


def test_a_group_keeps_each_tombstone_until_its_own_horizon(tmp_path):
    """A group's mtime is the latest of its segments'; a segment keeping tombstones is not
    grouped with segments first cleaned in another horizon bucket, so none of its tombstones
    goes early and none is put off by newer segments joining it."""
    _, lg, cleaner = setup(tmp_path)
    now_s = time.time()

    def age(seg, seconds: float) -> int:
        t = int((now_s - seconds) * 1e9)
        os.utime(seg.log_path, ns=(t, t))
        return t // 1_000_000

    append(lg, keyed([(b"a", b"1"), (b"b", None)]))  # 0, 1
    lg.roll()
    clean(cleaner, lg)
    old_ms = age(lg.closed_segments()[0], 1_000)  # another bucket, within delete.retention
    append(lg, keyed([(b"c", None)]))  # 2
    lg.roll()
    result = clean(cleaner, lg)
    # The newly cleaned segment does not join the old one holding a tombstone.
    first, second = lg.closed_segments()
    assert first.last_modified_ms == old_ms and result.tombstones_due_ms == old_ms + RETENTION_MS
    assert second.base_offset == 2
    # Now the first segment is newer and keeps no tombstone (b is written again), the
    # second is older and keeps one: the second may not join the first (it is taken out of
    # the group's file again) nor the newly cleaned third.
    newer_ms = age(first, 10)
    older_ms = age(second, 1_000)
    append(lg, keyed([(b"b", b"2")]))  # 3
    lg.roll()
    result = clean(cleaner, lg)
    assert [s.base_offset for s in lg.closed_segments()] == [0, 2, 3]
    first, second, _ = lg.closed_segments()
    assert (first.last_modified_ms, second.last_modified_ms) == (newer_ms, older_ms)
    assert result.tombstones_due_ms == older_ms + RETENTION_MS
    assert triples(lg) == [(0, b"a", b"1"), (2, b"c", None), (3, b"b", b"2")]
    for seg, want in zip(lg.closed_segments(), ([0], [2], [3]), strict=True):
        data = seg.read_batches(0, 1 << 20, 1 << 62, True)[0]
        assert [r.offset for r in records.decode_batch(data).records] == want
    # Past its horizon the tombstone goes, and the segments fold into one.
    age(second, RETENTION_MS / 1000 + 1)
    clean(cleaner, lg)
    [only] = lg.closed_segments()
    assert triples(lg) == [(0, b"a", b"1"), (3, b"b", b"2")]
    assert only.last_modified_ms >= newer_ms


# --- crash safety ----------------------------------------------------------------------------


class Crash(Exception):
    """The process dies: this and every later file operation fails."""


@contextmanager
def crash_after(monkeypatch, n: int):
    """Let ``n`` renames and unlinks happen, then crash at the next one."""
    state = {"done": 0, "crashed": False}

    def guard(real):
        def op(*args, **kwargs):
            if state["crashed"] or state["done"] == n:
                state["crashed"] = True
                raise Crash(f"crash before file operation {n}")
            state["done"] += 1
            return real(*args, **kwargs)

        return op

    with monkeypatch.context() as m:
        for name in ("replace", "rename", "unlink", "remove"):
            m.setattr(os, name, guard(getattr(os, name)))
        yield state


def write_groups(directory: Path) -> None:
    """Small segments in several groups: overwritten keys, an emptied run that is not the
    first, and transactions aborted in later segments of a group (their index is merged)."""
    lg = open_log(directory, CONFIG)
    for i in range(8):  # groups by size: [0-3 + txn 5], [4-7 + txn 6 + finals]
        append(lg, keyed([(b"k%d" % (i % 3), b"v%d" % i + b"x" * 200)]))
        if i % 2:
            lg.roll()
        if i in (3, 7):
            pid = 5 + i // 4
            txn = records.build_batch(
                [(b"t", b"x")], producer_id=pid, producer_epoch=0, transactional=True
            )
            first = append(lg, txn)
            lg.roll()
            marker = append(lg, marker_batch(pid, 0, False, 0))
            lg.append_aborted(
                AbortedTxn(pid, first.base_offset, marker.base_offset, marker.last_offset + 1)
            )
            lg.roll()
    for i in range(2):  # segments too large to group, all overwritten below: deleted
        append(lg, keyed([(b"k%d" % i, b"x" * 1500)]))
        lg.roll()
    for i in range(3):
        append(lg, keyed([(b"k%d" % i, b"final")]))
    lg.roll()
    append(lg, keyed([(b"active", b"1")]))
    lg.flush()
    lg.close()


def open_manager(data_dir: Path) -> tuple[LogManager, Log, LogCleaner]:
    manager = LogManager(data_dir)
    manager.startup()
    lg = manager.get_or_create("t", 0, CONFIG)
    return manager, lg, LogCleaner(manager, lambda topic: KEEP_TOMBSTONES)


def aborted(lg: Log) -> list[AbortedTxn]:
    return lg.collect_aborted(0, lg.log_end_offset)


def test_a_crash_at_any_step_of_a_group_swap_leaves_old_or_new(tmp_path, monkeypatch, caplog):
    pristine = tmp_path / "pristine"
    write_groups(pristine / "t-0")
    _, lg, _ = open_manager(shutil.copytree(pristine, tmp_path / "pre"))
    pre, pre_aborted = triples(lg), aborted(lg)
    assert len(pre_aborted) == 2
    _, lg, cleaner = open_manager(shutil.copytree(pristine, tmp_path / "post"))
    result = clean(cleaner, lg)
    post = triples(lg)
    assert result.segments > result.segments_written > 1 and len(post) < len(pre)
    assert aborted(lg) == pre_aborted
    caplog.set_level(logging.WARNING, "broker.log")
    crashes = 0
    while True:
        data_dir = shutil.copytree(pristine, tmp_path / f"crash-{crashes}")
        _, lg, cleaner = open_manager(data_dir)
        with crash_after(monkeypatch, crashes) as state, suppress(Crash):
            clean(cleaner, lg)
        if not state["crashed"]:
            break
        crashes += 1
        lg.close()
        _, reopened, cleaner = open_manager(data_dir)  # no clean-shutdown marker: recovery
        assert not [p for p in (data_dir / "t-0").iterdir() if p.suffix in (".swap", ".cleaned")]
        got = triples(reopened)  # offsets strictly increasing: no two segments overlap
        assert set(post) <= set(got) <= set(pre), f"crash {crashes}"
        assert aborted(reopened) == pre_aborted
        clean(cleaner, reopened)  # the pass runs again from the old checkpoint
        assert triples(reopened) == post and aborted(reopened) == pre_aborted
        reopened.close()
    assert crashes > 20  # every rename and deletion of several groups was a crash point
    text = caplog.text
    assert "discarding unfinished cleaner output" in text
    assert "completing the cleaner's swap" in text and "replacing 2 later segment(s)" in text


@pytest.mark.parametrize("members_deleted", [0, 1, 2])
def test_a_leftover_swap_file_of_a_group_replaces_all_its_segments(tmp_path, members_deleted):
    """A crash after ``<first>.log.swap`` was named: whatever of the group's later segments
    is left is deleted with the first, as far as the swap file's last offset reaches."""
    directory = tmp_path / "t-0"
    lg = open_log(directory, CONFIG)
    for i in range(6):
        append(lg, keyed([(b"k%d" % (i % 2), b"v%d" % i)]))
        if i % 2:
            lg.roll()  # three segments: [0, 1], [2, 3], [4, 5]
    append(lg, keyed([(b"z", b"active")]))
    swap = lg.closed_segments()[0].log_path.with_name(f"{0:020d}.log.swap")
    # What cleaning the group writes: the latest of each key, offsets kept.
    swap.write_bytes(
        records.build_batch(
            [records.Record(4, 1, b"k0", b"v4"), records.Record(5, 1, b"k1", b"v5")],
            base_offset=4,
        )
    )
    lg.flush()
    lg.close()
    for seg in (2, 4)[:members_deleted]:
        (directory / f"{seg:020d}.log").unlink()
    reopened = open_log(directory, CONFIG, recover=True)
    assert [s.base_offset for s in reopened.segments()] == [0, 6]
    assert triples(reopened) == [(4, b"k0", b"v4"), (5, b"k1", b"v5"), (6, b"z", b"active")]
    assert not list(directory.glob("*.swap"))
