"""The log cleaner on real Log directories: a model check, batch rewriting, crash safety."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.log.cleaner import CHECKPOINT_FILE, CleanerConfig, LogCleaner
from broker.log.log import Log, LogConfig
from broker.log.manager import LogManager, read_checkpoint
from broker.protocol import records
from tests.log.helpers import append, open_log

CONFIG = LogConfig(segment_bytes=2048, index_interval_bytes=256, segment_index_bytes=4096)
CODECS = [records.NONE, records.GZIP, records.SNAPPY, records.LZ4, records.ZSTD]
KEEP_TOMBSTONES = CleanerConfig(min_cleanable_dirty_ratio=0.0, delete_retention_ms=3_600_000)
DROP_TOMBSTONES = CleanerConfig(min_cleanable_dirty_ratio=0.0, delete_retention_ms=0)


def keyed(
    pairs: list[tuple[bytes, bytes | None]],
    codec: int = records.NONE,
    *,
    producer: tuple[int, int, int] | None = None,
) -> bytes:
    pid, epoch, seq = producer if producer is not None else (-1, -1, -1)
    return records.build_batch(
        pairs,
        compression=codec,
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
    )


def setup(tmp_path, config: CleanerConfig = KEEP_TOMBSTONES, **kw):
    manager = LogManager(tmp_path)
    manager.startup()
    lg = manager.get_or_create("t", 0, CONFIG)
    cleaner = LogCleaner(manager, lambda topic: config, **kw)
    return manager, lg, cleaner


def clean(cleaner: LogCleaner, lg: Log, config: CleanerConfig = KEEP_TOMBSTONES):
    return asyncio.run(cleaner.clean(("t", 0), lg, config))


def read_all(lg: Log) -> list[records.Batch]:
    """Every batch from the log start, CRC-checked, offsets strictly increasing."""
    data = lg.read(lg.log_start_offset, 1 << 30)
    batches, last = [], -1
    for pos, h in records.iter_batches(data):
        records.validate_batch(data, pos, h)
        assert h.base_offset > last
        batch = records.decode_batch(data, pos)
        for r in batch.records:
            assert last < r.offset <= h.last_offset
            last = r.offset
        last = max(last, h.last_offset)
        batches.append(batch)
    return batches


def read_records(lg: Log) -> list[records.Record]:
    return [r for b in read_all(lg) for r in b.records]


# --- the model check -------------------------------------------------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("write"),
            st.lists(
                st.tuples(
                    st.integers(0, 7),
                    st.one_of(st.none(), st.binary(min_size=1, max_size=60)),
                ),
                min_size=1,
                max_size=6,
            ),
            st.sampled_from(CODECS),
        ),
        st.tuples(st.just("roll")),
        st.tuples(st.just("clean"), st.booleans()),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
def test_reading_after_cleaning_gives_the_latest_value_per_key(tmp_path_factory, ops):
    _, lg, cleaner = setup(tmp_path_factory.mktemp("model"))
    latest: dict[bytes, tuple[int, bytes | None]] = {}  # key -> (offset, value)
    for op in ops:
        if op[0] == "write":
            pairs = [(b"k%d" % k, v) for k, v in op[1]]
            result = append(lg, keyed(pairs, op[2]))
            for i, (k, v) in enumerate(pairs):
                latest[k] = (result.base_offset + i, v)
        elif op[0] == "roll":
            lg.roll()
        else:
            clean(cleaner, lg, DROP_TOMBSTONES if op[1] else KEEP_TOMBSTONES)
        # At all times, the last record per key read from the start is the model's.
        seen = {r.key: (r.offset, r.value) for r in read_records(lg)}
        assert {k: v for k, v in seen.items() if v[1] is not None} == {
            k: v for k, v in latest.items() if v[1] is not None
        }
    # Everything closed, then two passes: the second removes the tombstones cleaned once.
    lg.roll()
    clean(cleaner, lg, DROP_TOMBSTONES)
    clean(cleaner, lg, DROP_TOMBSTONES)
    got = [(r.key, r.offset, r.value) for r in read_records(lg)]
    want = sorted((k, o, v) for k, (o, v) in latest.items() if v is not None)
    assert sorted(got) == want
    assert len({k for k, _, _ in got}) == len(got)


# --- batch rewriting -------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_rewritten_batches_keep_codec_offsets_and_producer_fields(tmp_path, codec):
    _, lg, cleaner = setup(tmp_path)
    first = append(lg, keyed([(b"a", b"1"), (b"b", b"1"), (b"c", b"1")], codec, producer=(7, 2, 0)))
    append(lg, keyed([(b"a", b"2"), (b"c", b"2")], codec, producer=(7, 2, 3)))
    append(lg, keyed([(b"z", b"x")]))  # another batch after, so producer 7's last is above
    lg.roll()
    result = clean(cleaner, lg)
    assert result.records_removed == 2
    batches = read_all(lg)
    rewritten = batches[0]
    h = rewritten.header
    assert (h.base_offset, h.last_offset) == (first.base_offset, first.last_offset)
    assert (h.producer_id, h.producer_epoch, h.base_sequence) == (7, 2, 0)
    assert h.last_sequence == 2  # the last record (c) went, the batch's sequence range stays
    assert h.compression == codec
    assert [(r.offset, r.key) for r in rewritten.records] == [(1, b"b")]
    assert [(r.offset, r.value) for r in batches[1].records] == [(3, b"2"), (4, b"2")]


def test_the_last_batch_of_a_producer_survives_empty(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    append(lg, keyed([(b"a", b"1")], producer=(9, 0, 0)))
    append(lg, keyed([(b"a", b"2")], producer=(9, 0, 1)))
    append(lg, keyed([(b"a", b"3")], producer=(9, 0, 2)))  # producer 9's last batch...
    append(lg, keyed([(b"a", b"4")]))  # ...superseded by a non-idempotent write
    lg.roll()
    clean(cleaner, lg)
    batches = read_all(lg)
    assert [(b.header.base_offset, len(b.records)) for b in batches] == [(2, 0), (3, 1)]
    empty = batches[0].header
    assert (empty.producer_id, empty.base_sequence, empty.last_sequence) == (9, 2, 2)


def test_control_batches_and_unkeyed_records_are_kept(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    append(lg, keyed([(None, b"no key"), (b"a", b"1")]))
    marker = records.build_batch(
        [(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00")],
        producer_id=5,
        producer_epoch=0,
        transactional=True,
        control=True,
    )
    append(lg, marker)
    append(lg, keyed([(b"a", b"2")]))
    lg.roll()
    clean(cleaner, lg)
    batches = read_all(lg)
    assert [r.value for r in batches[0].records] == [b"no key"]
    assert batches[1].header.is_control
    assert [r.value for r in batches[2].records] == [b"2"]


# --- scheduling, checkpoint, flags -----------------------------------------------------------


def fill(lg: Log, n: int, *, keys: int = 5, size: int = 100) -> None:
    for i in range(n):
        append(lg, keyed([(b"k%d" % (i % keys), b"v" * size)]))


def test_dirty_ratio_and_checkpoint_decide_what_is_cleaned(tmp_path):
    manager, lg, cleaner = setup(tmp_path)
    config = CleanerConfig(min_cleanable_dirty_ratio=0.5, delete_retention_ms=0)
    fill(lg, 60)
    lg.roll()
    assert asyncio.run(cleaner.maybe_clean(("t", 0), lg, config))
    end = lg.log_end_offset
    assert read_checkpoint(tmp_path / CHECKPOINT_FILE) == {("t", 0): end}
    assert all(s.cleaned for s in lg.segments()[:-1]) and not lg.segments()[-1].cleaned
    # A little new dirty data against a clean section: below the ratio, nothing happens.
    fill(lg, 1)
    lg.roll()
    section = cleaner.dirty_section(("t", 0), lg, config)
    assert section.first_dirty == end and 0 < section.ratio < 0.5
    assert not asyncio.run(cleaner.maybe_clean(("t", 0), lg, config))
    assert cleaner.stats.passes == 1
    # A new cleaner (a restart) resumes from the checkpoint and flags cleaned segments.
    again = LogCleaner(manager, lambda topic: config)
    assert again.dirty_section(("t", 0), lg, config).first_dirty == end


def test_min_compaction_lag_keeps_recent_segments_dirty(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    fill(lg, 40)
    lg.roll()
    lagging = CleanerConfig(min_cleanable_dirty_ratio=0.0, min_compaction_lag_ms=3_600_000)
    section = cleaner.dirty_section(("t", 0), lg, lagging)
    assert section.end == lg.log_start_offset and section.dirty_bytes == 0
    before = read_records(lg)
    assert not asyncio.run(cleaner.maybe_clean(("t", 0), lg, lagging))
    assert read_records(lg) == before


def test_max_compaction_lag_forces_a_pass_below_the_ratio(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    fill(lg, 40)
    lg.roll()
    clean(cleaner, lg)
    fill(lg, 1)
    lg.roll()
    strict_ratio = CleanerConfig(min_cleanable_dirty_ratio=0.99)
    assert not asyncio.run(cleaner.maybe_clean(("t", 0), lg, strict_ratio))
    forced = CleanerConfig(min_cleanable_dirty_ratio=0.99, max_compaction_lag_ms=1)
    time.sleep(0.002)  # the records must be older than 1 ms
    assert asyncio.run(cleaner.maybe_clean(("t", 0), lg, forced))


def test_tombstones_kept_once_then_removed_without_new_writes(tmp_path):
    _, lg, cleaner = setup(tmp_path, DROP_TOMBSTONES)
    append(lg, keyed([(b"a", b"1"), (b"b", b"1")]))
    append(lg, keyed([(b"a", None)]))
    lg.roll()
    assert asyncio.run(cleaner.clean_all()) == 1
    assert [(r.key, r.value) for r in read_records(lg)] == [(b"b", b"1"), (b"a", None)]
    # No new data, but the tombstone is due (delete.retention.ms=0): the next round runs.
    assert asyncio.run(cleaner.clean_all()) == 1
    assert [(r.key, r.value) for r in read_records(lg)] == [(b"b", b"1")]
    assert asyncio.run(cleaner.clean_all()) == 0


def test_throttle_bounds_the_io_rate(tmp_path):
    _, lg, cleaner = setup(tmp_path, io_max_bytes_per_second=2_000_000)
    fill(lg, 500, keys=500, size=1000)  # ~0.5 MB, nothing to remove: read + written ~1 MB
    lg.roll()
    started = time.monotonic()
    result = clean(cleaner, lg)
    elapsed = time.monotonic() - started
    assert result.bytes_read > 400_000
    assert elapsed >= (result.bytes_read + result.bytes_written) / 2_000_000 * 0.7


def test_produce_runs_while_the_cleaner_works(tmp_path):
    """The cleaner yields to the loop: appends interleave with a pass."""
    _, lg, cleaner = setup(tmp_path)
    fill(lg, 2000, keys=50, size=200)
    lg.roll()
    appended_during: list[int] = []

    async def main() -> None:
        task = asyncio.create_task(cleaner.clean(("t", 0), lg, KEEP_TOMBSTONES))
        while not task.done():
            appended_during.append(append(lg, keyed([(b"live", b"x")])).base_offset)
            await asyncio.sleep(0)
        await task

    asyncio.run(main())
    assert len(appended_during) > 3
    values = {r.key: r.value for r in read_records(lg)}
    assert values[b"live"] == b"x" and len(values) == 51


# --- crash safety ----------------------------------------------------------------------------


def written_log(path):
    lg = open_log(path, CONFIG)
    fill(lg, 60, keys=4)
    lg.roll()
    lg.flush()
    return lg


def test_a_leftover_cleaned_file_is_discarded(tmp_path):
    lg = written_log(tmp_path / "t-0")
    before = read_records(lg)
    first = lg.segments()[0]
    lg.close()
    leftover = tmp_path / "t-0" / f"{first.base_offset:020d}.log.cleaned"
    leftover.write_bytes(b"half written garbage")
    reopened = open_log(tmp_path / "t-0", CONFIG, recover=True)
    assert not leftover.exists()
    assert read_records(reopened) == before


@pytest.mark.parametrize("renamed", [False, True])
def test_a_leftover_swap_file_completes_the_swap(tmp_path, renamed):
    """A crash after the .swap rename: before (renamed=False) or after the indexes went."""
    original = tmp_path / "orig" / "t-0"
    written_log(original).close()
    # Clean a copy to get what the cleaner would have swapped in.
    copy_root = tmp_path / "copy"
    shutil.copytree(original, copy_root / "t-0")
    manager = LogManager(copy_root)
    manager.startup()
    lg = manager.get("t", 0)
    cleaner = LogCleaner(manager, lambda topic: KEEP_TOMBSTONES)
    clean(cleaner, lg, KEEP_TOMBSTONES)
    want = [(r.offset, r.key, r.value) for r in read_records(lg)]
    manager.shutdown()
    first = sorted(original.glob("*.log"))[0]
    shutil.copy(copy_root / "t-0" / first.name, first.with_name(first.name + ".swap"))
    if renamed:
        for suffix in (".index", ".timeindex"):
            first.with_suffix(suffix).unlink()
    reopened = open_log(original, CONFIG, recover=True)
    assert not list(original.glob("*.swap"))
    got = [(r.offset, r.key, r.value) for r in read_records(reopened)]
    assert got[: len(want)] != [] and got == sorted(got)
    # The first segment is the cleaned one; the others are still dirty, as on disk.
    cleaned_first = [g for g in want if g[0] < reopened.segments()[1].base_offset]
    assert [g for g in got if g[0] < reopened.segments()[1].base_offset] == cleaned_first
    # Its indexes were rebuilt: every offset is found from a lookup, not a scan from 0.
    for offset, key, value in got:
        batch = records.decode_batch(reopened.read(offset, 1, min_one=True))
        assert any((r.offset, r.key, r.value) == (offset, key, value) for r in batch.records)


def test_recovery_accepts_the_gaps_of_a_cleaned_log(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    fill(lg, 80, keys=3)
    lg.roll()
    clean(cleaner, lg)
    want = read_records(lg)
    end = lg.log_end_offset
    lg.close()
    reopened = open_log(tmp_path / "t-0", CONFIG, recover=True, recovery_point=0)
    assert reopened.log_end_offset == end
    assert read_records(reopened) == want
    assert len(want) == 3


def test_a_recovered_log_whose_cleaned_tail_went_is_cleaned_up_to_the_active_segment(tmp_path):
    _, lg, cleaner = setup(tmp_path, DROP_TOMBSTONES)
    append(lg, keyed([(b"b", b"1")]))
    append(lg, keyed([(b"a", None)]))  # the segment's last batch: gone after two passes
    lg.roll()
    clean(cleaner, lg, DROP_TOMBSTONES)
    clean(cleaner, lg, DROP_TOMBSTONES)
    lg.close()
    reopened = open_log(tmp_path / "t-0", CONFIG, recover=True, recovery_point=0)
    assert reopened.closed_segments()[0].next_offset == 1  # recovery saw the last batch end
    section = cleaner.dirty_section(("t", 0), reopened, DROP_TOMBSTONES)
    assert section.end == reopened.active_base_offset == 2
    assert [(r.offset, r.key) for r in read_records(reopened)] == [(0, b"b")]


def test_segments_emptied_by_cleaning_are_deleted_except_the_first(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    big = b"v" * 800  # two such segments exceed segment.bytes: each is cleaned on its own
    for round_ in range(4):  # four segments, each overwriting the same two keys
        append(lg, keyed([(b"a", b"%d" % round_ + big), (b"b", b"%d" % round_ + big)]))
        lg.roll()
    append(lg, keyed([(b"c", b"active")]))
    assert len(lg.closed_segments()) == 4
    first, emptied = lg.closed_segments()[0], lg.closed_segments()[1:3]
    clean(cleaner, lg)
    # the first stays (emptied), the middle two are gone with their files, the last holds all
    assert lg.closed_segments()[0] is not first and lg.closed_segments()[0].size == 0
    assert len(lg.closed_segments()) == 2
    assert not any(s.log_path.exists() or s.index_path.exists() for s in emptied)
    want = [(0 + 6, b"a", b"3" + big), (7, b"b", b"3" + big), (8, b"c", b"active")]
    assert [(r.offset, r.key, r.value) for r in read_records(lg)] == want
    assert lg.read(2, 1 << 20)[:8] == lg.read(6, 1 << 20)[:8]  # a read in the gap skips it
    end = lg.log_end_offset
    lg.close()
    reopened = open_log(tmp_path / "t-0", CONFIG, recover=True, recovery_point=0)
    assert len(reopened.closed_segments()) == 2 and reopened.log_end_offset == end
    assert [(r.offset, r.key, r.value) for r in read_records(reopened)] == want


def test_small_emptied_segments_fold_into_the_group_of_the_first(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    for round_ in range(4):
        append(lg, keyed([(b"a", b"%d" % round_), (b"b", b"%d" % round_)]))
        lg.roll()
    append(lg, keyed([(b"c", b"active")]))
    olds = lg.closed_segments()
    result = clean(cleaner, lg)
    assert (result.segments, result.segments_written) == (4, 1)
    [grouped] = lg.closed_segments()
    assert (grouped.base_offset, grouped.next_offset) == (0, 8)
    assert not any(s.log_path.exists() for s in olds[1:])
    want = [(6, b"a", b"3"), (7, b"b", b"3"), (8, b"c", b"active")]
    assert [(r.offset, r.key, r.value) for r in read_records(lg)] == want
