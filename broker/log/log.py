"""The durable, segmented log of one partition replica.

On-disk format: one directory per partition holding segments (see segment.py: ``.log`` files
of stamped record batches plus sparse ``.index`` and ``.timeindex`` files, named by base
offset) and the ``leader-epoch-checkpoint`` (leader_epoch.py). Offsets increase across
segments, with gaps where the log cleaner (cleaner.py) removed records. The cleaner rewrites
a run of consecutive closed segments into one named after the first (``replace_segments``):
``<base>.log.cleaned`` (being written), then ``<base>.log.swap`` (complete and fsynced: the
commit point), then the run's other segments are deleted and the swap file takes the place of
``<base>.log``. ``Log.open`` discards a ``.cleaned`` file and completes a ``.swap``, deleting
the segments it covers (``_finish_cleaner_swaps``), so a crash at any step leaves either the
old segments or the new one, never both. The log start offset
and the recovery point are persisted by the LogManager in its checkpoint files, not here.
Each segment may have a ``.txnindex`` of the transactions aborted in it (txn_index.py),
appended by the partition after an abort marker and read by read_committed fetches; it goes
with its segment. ``on_roll`` lets the partition snapshot its open transactions at a roll.

Durability: an append returns once its bytes are written to the OS page cache, so it
survives the death of the process; fsync happens when ``flush_messages`` records are
unflushed, when ``flush_if_due`` finds ``flush_ms`` elapsed, on roll and on ``flush``. The
recovery point (everything below it is fsynced) advances only after an fsync.

Failure policy: ``Log.open`` with ``needs_recovery`` validates every batch from the recovery
point and truncates a torn or corrupt tail (recovery.py). Without it (a clean stop) only the
last segment's tail and the indexes are sanity-checked; a surprise there still triggers
recovery of that segment. Write errors (OSError) propagate to the caller; a failed write
leaves the log unchanged.

Everything is synchronous: the broker runs one asyncio loop and page-cache I/O is fast.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from broker.errors import ErrorCode, KafkaError
from broker.log import recovery
from broker.log.atomic import fsync_dir
from broker.log.leader_epoch import FILE_NAME as EPOCH_FILE
from broker.log.leader_epoch import CorruptEpochCheckpointError, LeaderEpochCache
from broker.log.segment import (
    INDEX_SUFFIX,
    LOG_SUFFIX,
    TIME_INDEX_SUFFIX,
    IndexBuilder,
    LogSegment,
    SegmentInfo,
    now_ms,
    segment_name,
)
from broker.log.txn_index import TXN_INDEX_SUFFIX, AbortedTxn
from broker.protocol import records
from broker.protocol.records import BatchHeader, CorruptRecordError

log = logging.getLogger("broker.log")

INT32_MAX = 0x7FFFFFFF
_SEGMENT_FILE = re.compile(r"^(\d{20})\.(log|index|timeindex|txnindex)$")
CLEANED_SUFFIX = ".cleaned"
SWAP_SUFFIX = ".swap"


@dataclass(frozen=True, slots=True)
class LogConfig:
    segment_bytes: int = 1 << 30
    segment_ms: int = 7 * 24 * 60 * 60 * 1000
    # up to this much is taken off segment_ms, drawn anew for each active segment, so that
    # the partitions of a topic created together do not all roll at the same moment
    segment_jitter_ms: int = 0
    index_interval_bytes: int = 4096
    segment_index_bytes: int = 10 * 1024 * 1024
    flush_messages: int | None = None  # fsync after this many unflushed records
    flush_ms: int | None = None  # fsync when data has been unflushed this long


@dataclass(frozen=True, slots=True)
class AppendResult:
    base_offset: int
    last_offset: int
    max_timestamp: int  # -1 if no batch carries a timestamp
    offset_of_max_timestamp: int  # base offset of the first batch carrying max_timestamp
    log_append_time: int  # -1 unless LogAppendTime was stamped


class Log:
    """A partition log: an ordered list of segments, the last one active."""

    def __init__(
        self,
        directory: Path,
        config: LogConfig,
        segments: list[LogSegment],
        epochs: LeaderEpochCache,
        *,
        log_start_offset: int,
        recovery_point: int,
        on_log_start_offset_change: Callable[[Log], None] | None,
        clock: Callable[[], int],
    ) -> None:
        self.directory = directory
        self._config = config
        self._segments = segments
        self._epochs = epochs
        self._log_start = log_start_offset
        self._recovery_point = recovery_point
        self._on_log_start_change = on_log_start_offset_change
        self._clock = clock
        self._unflushed_records = 0
        self._last_flush_ms = clock()
        # Called with the new active segment's base offset after each roll (the partition
        # snapshots its transaction state there); None when nobody asks.
        self.on_roll: Callable[[int], None] | None = None
        self._roll_jitter_ms = _roll_jitter(config)

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        config: LogConfig,
        *,
        recovery_point: int | None,
        needs_recovery: bool,
        log_start_offset: int = 0,
        on_log_start_offset_change: Callable[[Log], None] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> Log:
        """Open (creating if needed) the log in ``directory``.

        ``recovery_point``: offset below which the log is known fsynced (None: unknown, so
        recovery scans everything). ``needs_recovery``: the broker did not stop cleanly.
        ``log_start_offset``: as checkpointed by the manager.
        """
        directory.mkdir(parents=True, exist_ok=True)
        segments = _load_segments(directory, config)
        try:
            epochs = LeaderEpochCache.load(directory)
            epochs_trusted = True
        except CorruptEpochCheckpointError as e:
            log.warning("%s: %s; rebuilding it from batch headers", directory.name, e)
            epochs, epochs_trusted = LeaderEpochCache(directory / EPOCH_FILE), False
        if not segments:
            segments = [_new_segment(directory, log_start_offset, config)]
        start_offset = max(log_start_offset, segments[0].base_offset)
        if needs_recovery:
            start = 0
            if recovery_point is not None:
                start = max(0, bisect_right(segments, recovery_point, key=_base) - 1)
            log.info(
                "%s: recovering from offset %d (segment %d of %d)",
                directory.name,
                segments[start].base_offset,
                start + 1,
                len(segments),
            )
            segments = _recover(directory, segments, start, epochs, start_offset)
        else:
            try:
                segments[-1].check_tail()
            except CorruptRecordError as e:
                log.warning(
                    "%s: last segment is inconsistent after a clean stop (%s); recovering it",
                    directory.name,
                    e,
                )
                segments = _recover(directory, segments, len(segments) - 1, epochs, start_offset)
        leo = segments[-1].next_offset
        if start_offset > leo:
            # The records up to the checkpointed start offset are gone (cut by recovery):
            # start an empty log there rather than reuse offsets below the start.
            for seg in segments:
                seg.delete()
            segments = [_new_segment(directory, start_offset, config)]
            epochs.clear()
            leo = start_offset
        if needs_recovery:
            point = min(recovery_point if recovery_point is not None else start_offset, leo)
        else:
            point = leo
        opened = cls(
            directory,
            config,
            segments,
            epochs,
            log_start_offset=start_offset,
            recovery_point=point,
            on_log_start_offset_change=on_log_start_offset_change,
            clock=clock,
        )
        if not epochs_trusted:
            for h in opened.batch_headers(start_offset):
                if h.partition_leader_epoch > epochs.latest_epoch:
                    epochs.assign(h.partition_leader_epoch, h.base_offset, persist=False)
            epochs.persist()
        # As Kafka does: an epoch with no data (starting at the log end) is forgotten; the
        # partition re-assigns its current epoch when it leads again.
        epochs.truncate_from_end(leo)
        epochs.truncate_from_start(start_offset)
        return opened

    # --- state --------------------------------------------------------------------------------

    @property
    def config(self) -> LogConfig:
        return self._config

    def update_config(self, config: LogConfig) -> None:
        """Apply new settings; a new index size applies from the next segment on."""
        self._config = config
        for seg in self._segments:
            seg.index_interval_bytes = config.index_interval_bytes

    @property
    def log_start_offset(self) -> int:
        return self._log_start

    @property
    def log_end_offset(self) -> int:
        """The offset the next appended record gets."""
        return self._segments[-1].next_offset

    @property
    def recovery_point(self) -> int:
        """Every offset below this is fsynced."""
        return self._recovery_point

    @property
    def size_bytes(self) -> int:
        return sum(seg.size for seg in self._segments)

    @property
    def latest_epoch(self) -> int:
        return self._epochs.latest_epoch

    def leader_epochs(self) -> list[tuple[int, int]]:
        """(epoch, start offset) entries of the leader-epoch cache."""
        return [(e.epoch, e.start_offset) for e in self._epochs.entries]

    def segments(self) -> list[SegmentInfo]:
        last = self._segments[-1]
        return [seg.info(active=seg is last) for seg in self._segments]

    def __repr__(self) -> str:
        return (
            f"Log({self.directory.name}, start={self._log_start}, "
            f"end={self.log_end_offset}, segments={len(self._segments)})"
        )

    # --- appending ----------------------------------------------------------------------------

    def append(
        self,
        buf: bytearray | memoryview,
        batches: list[tuple[int, BatchHeader]],
        *,
        leader_epoch: int,
        log_append_time_ms: int | None = None,
    ) -> AppendResult:
        """Assign offsets to validated batches and write them.

        ``batches`` are (position, header) of every batch in ``buf``, back to back. ``buf``
        and the headers are stamped in place (base offset, leader epoch, and LogAppendTime
        when ``log_append_time_ms`` is given). Raises KafkaError(record_list_too_large) for a
        batch larger than a segment.
        """
        if not batches:
            raise ValueError("append needs at least one batch")
        end = 0
        for pos, h in batches:
            if pos != end:
                raise ValueError(f"batch at {pos}, expected {end}: batches must be back to back")
            if h.size > self._config.segment_bytes:
                raise KafkaError(
                    ErrorCode.record_list_too_large,
                    f"batch of {h.size} bytes exceeds segment.bytes {self._config.segment_bytes}",
                )
            end += h.size
        if end != len(buf):
            raise ValueError(f"batches cover {end} of {len(buf)} bytes")

        first_offset = next_offset = self.log_end_offset
        max_ts, offset_of_max, n_records = -1, -1, 0
        for pos, h in batches:
            records.set_base_offset(buf, pos, next_offset)
            h.base_offset = next_offset
            records.set_partition_leader_epoch(buf, pos, leader_epoch)
            h.partition_leader_epoch = leader_epoch
            if log_append_time_ms is not None:
                records.set_log_append_time(buf, pos, h, log_append_time_ms)
            if h.max_timestamp > max_ts:
                max_ts, offset_of_max = h.max_timestamp, h.base_offset
            n_records += h.records_count
            next_offset = h.next_offset

        if leader_epoch > self._epochs.latest_epoch:
            self._epochs.assign(leader_epoch, first_offset)
        self._write(memoryview(buf), batches)
        self._unflushed_records += n_records
        flush_messages = self._config.flush_messages
        if flush_messages is not None and self._unflushed_records >= flush_messages:
            self.flush()
        return AppendResult(
            base_offset=first_offset,
            last_offset=next_offset - 1,
            max_timestamp=max_ts,
            offset_of_max_timestamp=offset_of_max,
            log_append_time=log_append_time_ms if log_append_time_ms is not None else -1,
        )

    def _write(self, data: memoryview, batches: list[tuple[int, BatchHeader]]) -> None:
        """Write stamped batches: one write per segment they land in (normally one)."""
        now = self._clock()
        segment_bytes = self._config.segment_bytes
        j, n = 0, len(batches)
        while j < n:
            self._maybe_roll(batches[j][1], now)
            seg = self._segments[-1]
            size, k = seg.size + batches[j][1].size, j + 1
            while k < n:
                h = batches[k][1]
                if size + h.size > segment_bytes or h.last_offset - seg.base_offset > INT32_MAX:
                    break
                size += h.size
                k += 1
            start = batches[j][0]
            stop = batches[k - 1][0] + batches[k - 1][1].size
            seg.append(data[start:stop], [(p - start, h) for p, h in batches[j:k]], now)
            j = k

    def _maybe_roll(self, next_batch: BatchHeader, now: int) -> None:
        seg = self._segments[-1]
        if seg.size == 0:
            return
        created = seg.created_ms
        if (
            seg.size + next_batch.size > self._config.segment_bytes
            or (
                created is not None
                and now - created >= self._config.segment_ms - self._roll_jitter_ms
            )
            or seg.indexes_full
            or next_batch.last_offset - seg.base_offset > INT32_MAX
        ):
            self._roll()

    def roll(self) -> None:
        """Start a new active segment at the log end (no-op if the active one is empty)."""
        if self._segments[-1].size > 0:
            self._roll()

    def _roll(self) -> None:
        old = self._segments[-1]
        self.flush()  # a rolled segment is complete: make it (and its indexes) durable now
        old.close_indexes()
        self._segments.append(_new_segment(self.directory, old.next_offset, self._config))
        self._roll_jitter_ms = _roll_jitter(self._config)
        fsync_dir(self.directory)
        log.debug("%s: rolled segment %d", self.directory.name, old.next_offset)
        if self.on_roll is not None:
            self.on_roll(old.next_offset)

    def replace_segments(
        self, olds: list[LogSegment], cleaned_path: Path, builder: IndexBuilder
    ) -> bool:
        """Install the cleaner's fsynced ``<base>.log.cleaned`` in place of ``olds``.

        ``olds`` are consecutive closed segments, the first based at ``<base>``; ``builder``
        holds the index entries of the cleaned file (its ``next_offset`` is the last old
        segment's). False (and the cleaned file removed) if they are no longer consecutive
        closed segments of this log, or one changed size, since the cleaner read them.

        The renames, in this order (the module docstring says how ``Log.open`` resumes):

        1. when a later segment of the group has aborted transactions, their merged index
           is written to ``<base>.txnindex.cleaned``, fsynced and renamed ``.txnindex.swap``;
        2. ``<base>.log.cleaned`` becomes ``<base>.log.swap``, directory fsynced: the commit
           point, from which a crash completes the swap;
        3. the indexes of ``<base>`` and every file of the later segments are deleted,
           directory fsynced (so no old segment can outlive the new one on disk);
        4. ``<base>.log.swap`` replaces ``<base>.log``, then ``.txnindex.swap`` its index.
        """
        i = self._closed_run(olds)
        if i is None:
            cleaned_path.unlink(missing_ok=True)
            return False
        first = olds[0]
        entries = [e for seg in olds for e in seg.txn_index.entries]
        txn_swap = None
        if len(entries) != len(first.txn_index.entries):
            txn_swap = _write_txn_swap(first.txn_index.path, entries)
        swap_path = first.log_path.with_name(first.log_path.name + SWAP_SUFFIX)
        cleaned_path.replace(swap_path)
        fsync_dir(self.directory)
        first.close()
        # Missing indexes are rebuilt on first use; stale ones beside the new file would not.
        for path in (first.index_path, first.time_index_path):
            path.unlink(missing_ok=True)
        for seg in olds[1:]:
            seg.delete()
        fsync_dir(self.directory)
        swap_path.replace(first.log_path)
        if txn_swap is not None:
            txn_swap.replace(first.txn_index.path)
        new = LogSegment.open_existing(
            self.directory,
            first.base_offset,
            next_offset=olds[-1].next_offset,
            index_max_bytes=self._config.segment_index_bytes,
            index_interval_bytes=self._config.index_interval_bytes,
        )
        new.rebuild_from(builder, new.size)
        new.flush()
        new.close_indexes()
        new.cleaned = True
        fsync_dir(self.directory)
        self._segments[i : i + len(olds)] = [new]
        return True

    def drop_segments(self, olds: list[LogSegment]) -> bool:
        """Delete ``olds``, consecutive closed segments that cleaning left without a batch.
        Not the first (the log start stays put); False if they are no longer consecutive
        closed segments of this log, or one changed size, since the cleaner read them.

        No swap is needed: a crash midway leaves some of them whole, holding only records
        the cleaner meant to remove, below the next segment as before."""
        i = self._closed_run(olds)
        if i is None or i == 0:
            return False
        del self._segments[i : i + len(olds)]
        for seg in olds:
            seg.delete()  # an interrupted deletion leaves index files, removed at the next load
        fsync_dir(self.directory)
        return True

    def _closed_run(self, olds: list[LogSegment]) -> int | None:
        """Index of ``olds`` in the closed segments if they are found there in a row and each
        still has the size the log holds of it; None otherwise."""
        closed = self._segments[:-1]
        i = next((k for k, seg in enumerate(closed) if seg is olds[0]), None)
        if i is None:
            return None
        run = closed[i : i + len(olds)]
        if len(run) != len(olds) or any(a is not b for a, b in zip(run, olds, strict=True)):
            return None
        if any(seg.size != _file_size(seg.log_path) for seg in olds):
            return None
        return i

    @property
    def first_segment(self) -> LogSegment:
        return self._segments[0]

    def closed_segments(self) -> list[LogSegment]:
        """The segments below the active one (what the cleaner may rewrite)."""
        return self._segments[:-1]

    @property
    def active_segment(self) -> LogSegment:
        """The segment appends go to (the cleaner reads its transaction markers)."""
        return self._segments[-1]

    @property
    def active_base_offset(self) -> int:
        return self._segments[-1].base_offset

    def assign_leader_epoch(self, epoch: int) -> None:
        """Note that ``epoch`` starts at the log end (a new leadership without appends yet)."""
        if epoch > self._epochs.latest_epoch:
            self._epochs.assign(epoch, self.log_end_offset)

    # --- reading ------------------------------------------------------------------------------

    def read(
        self, offset: int, max_bytes: int, *, upper_bound: int | None = None, min_one: bool = True
    ) -> bytes | memoryview:
        """Whole batches from the one containing ``offset``, at most ``max_bytes`` of them
        (except a first larger batch when ``min_one``), only batches based below
        ``upper_bound`` (exclusive, e.g. the high watermark)."""
        leo = self.log_end_offset
        if offset < self._log_start or offset > leo:
            raise KafkaError(
                ErrorCode.offset_out_of_range,
                f"offset {offset} is outside the log [{self._log_start}, {leo}]",
            )
        bound = leo if upper_bound is None else min(upper_bound, leo)
        if offset >= bound:
            return b""
        parts: list[bytes | memoryview] = []
        budget = max_bytes
        i = self._segment_index(offset)
        position: int | None = None
        for seg in self._segments[i:]:
            if position is None:
                position = seg.batch_position(offset)
                if position is None:
                    position = 0
                    continue
            data, at_end = seg.read_batches(position, budget, bound, min_one and not parts)
            position = 0
            if data:
                parts.append(data)
                budget -= len(data)
            if not at_end or budget <= 0:
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def batch_headers(self, start_offset: int = 0) -> Iterator[BatchHeader]:
        """Headers of the batches from the one containing ``start_offset`` to the end."""
        i = self._segment_index(start_offset)
        position: int | None = None
        for seg in self._segments[i:]:
            if position is None:
                found = seg.find_batch(start_offset)
                if found is None:
                    position = 0
                    continue
                position = found[0]
            for _, h in seg.headers_from(position):
                yield h
            position = 0

    # --- transactions -------------------------------------------------------------------------

    def append_aborted(self, txn: AbortedTxn) -> None:
        """Index a transaction whose abort marker was just appended (to the active segment)."""
        self._segments[-1].txn_index.append(txn)

    def collect_aborted(self, fetch_offset: int, upper_bound: int) -> list[AbortedTxn]:
        """Aborted transactions overlapping [fetch_offset, upper_bound): those whose marker
        is at or after ``fetch_offset`` and whose first record is below ``upper_bound``."""
        found: list[AbortedTxn] = []
        for seg in self._segments[self._segment_index(fetch_offset) :]:
            if seg.txn_index.collect(fetch_offset, upper_bound, found):
                break
        return found

    def segment_bases(self) -> list[int]:
        return [seg.base_offset for seg in self._segments]

    def replace_aborted(self, base_offset: int, entries: list[AbortedTxn]) -> None:
        """Rewrite the aborted-transaction index of the segment based at ``base_offset``."""
        for seg in self._segments:
            if seg.base_offset == base_offset:
                seg.txn_index.replace(entries)
                return
        raise ValueError(f"no segment based at {base_offset}")

    def offset_for_timestamp(self, timestamp_ms: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record at or after the log start whose timestamp
        is >= ``timestamp_ms``; None if there is none."""
        start = self._log_start
        for seg in self._segments[self._segment_index(start) :]:
            if seg.size:
                found = seg.find_timestamp(timestamp_ms, start)
                if found is not None:
                    return found
        return None

    def max_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with the largest timestamp."""
        start = self._log_start
        i = self._segment_index(start)
        first = self._segments[i]
        best: tuple[int, int] | None = None
        if first.size and start > first.base_offset:
            best = first.max_timestamp_from(start)
            i += 1
        winner: LogSegment | None = None
        best_ts = best[1] if best is not None else -1
        for seg in self._segments[i:]:
            if seg.size and seg.max_timestamp > best_ts:
                winner, best_ts = seg, seg.max_timestamp
        if winner is not None:
            return winner.max_timestamp_from(winner.base_offset)
        return best

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """OffsetForLeaderEpoch: (largest known epoch <= ``epoch``, its end offset)."""
        return self._epochs.end_offset_for(epoch, self.log_end_offset)

    def _segment_index(self, offset: int) -> int:
        """Index of the segment that holds ``offset`` (the first one if below all)."""
        return max(0, bisect_right(self._segments, offset, key=_base) - 1)

    # --- deleting and truncating --------------------------------------------------------------

    def delete_records_before(self, offset: int) -> int:
        """Raise the log start offset to ``offset`` (at most the log end); return the new start.

        Segments wholly below it are deleted (the active one after a roll).
        """
        offset = min(offset, self.log_end_offset)
        if offset <= self._log_start:
            return self._log_start
        self._log_start = offset
        if self._on_log_start_change is not None:
            self._on_log_start_change(self)  # persist before deleting what it covers
        self._epochs.truncate_from_start(offset)
        active = self._segments[-1]
        if active.size and active.next_offset <= offset:
            self._roll()
        deleted = 0
        while len(self._segments) > 1 and self._segments[0].next_offset <= offset:
            self._segments.pop(0).delete()
            deleted += 1
        if deleted:
            fsync_dir(self.directory)
        log.info(
            "%s: log start offset now %d (%d segment(s) deleted)",
            self.directory.name,
            offset,
            deleted,
        )
        return offset

    def truncate_to(self, offset: int) -> None:
        """Remove every record at or after ``offset``.

        Whole batches only: the batch containing ``offset`` goes too, so the log end may land
        below ``offset``.
        """
        if offset < 0:
            raise ValueError(f"cannot truncate to negative offset {offset}")
        if offset >= self.log_end_offset:
            return
        if offset < self._segments[0].base_offset:
            self._truncate_fully_and_start_at(offset)
            return
        while self._segments[-1].base_offset > offset:
            self._segments.pop().delete()
        removed = self._segments[-1].truncate_to(offset)
        leo = self.log_end_offset
        self._segments[-1].txn_index.truncate_from(leo)
        self._log_start = min(self._log_start, leo)
        self._recovery_point = min(self._recovery_point, leo)
        self._epochs.truncate_from_end(leo)
        log.info("%s: truncated to offset %d (%d bytes cut)", self.directory.name, leo, removed)

    def _truncate_fully_and_start_at(self, offset: int) -> None:
        for seg in self._segments:
            seg.delete()
        self._segments = [_new_segment(self.directory, offset, self._config)]
        fsync_dir(self.directory)
        self._log_start = self._recovery_point = offset
        self._epochs.clear()
        if self._on_log_start_change is not None:
            self._on_log_start_change(self)
        log.info("%s: emptied, restarting at offset %d", self.directory.name, offset)

    # --- flushing and closing -----------------------------------------------------------------

    def flush(self) -> None:
        """fsync everything not yet durable and advance the recovery point to the log end."""
        leo = self.log_end_offset
        if leo > self._recovery_point or self._unflushed_records:
            for seg in self._segments[self._segment_index(self._recovery_point) :]:
                seg.flush()
        self._recovery_point = leo
        self._unflushed_records = 0
        self._last_flush_ms = self._clock()

    def flush_if_due(self, now_ms: int) -> bool:
        """Flush if ``flush_ms`` has passed since the last flush with data unflushed."""
        flush_ms = self._config.flush_ms
        if flush_ms is None or self.log_end_offset <= self._recovery_point:
            return False
        if now_ms - self._last_flush_ms < flush_ms:
            return False
        self.flush()
        return True

    def close(self) -> None:
        """Release file handles; no fsync (``flush`` first for a clean stop)."""
        for seg in self._segments:
            seg.close()

    def delete(self) -> None:
        """Close and remove the whole partition directory."""
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _roll_jitter(config: LogConfig) -> int:
    """Kafka's random segment jitter: below segment.jitter.ms and segment.ms."""
    bound = min(config.segment_jitter_ms, config.segment_ms)
    return random.randrange(bound) if bound > 0 else 0


def _base(seg: LogSegment) -> int:
    return seg.base_offset


def _new_segment(directory: Path, base_offset: int, config: LogConfig) -> LogSegment:
    return LogSegment.create(
        directory,
        base_offset,
        index_max_bytes=config.segment_index_bytes,
        index_interval_bytes=config.index_interval_bytes,
    )


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _write_txn_swap(path: Path, entries: list[AbortedTxn]) -> Path:
    """``<path>.swap`` holding ``entries``, complete and fsynced before it gets that name."""
    cleaned = path.with_name(path.name + CLEANED_SUFFIX)
    with open(cleaned, "wb") as f:
        f.write(b"".join(e.encode() for e in entries))
        f.flush()
        os.fsync(f.fileno())
    swap = path.with_name(path.name + SWAP_SUFFIX)
    cleaned.replace(swap)
    return swap


def _swap_end(path: Path, base_offset: int) -> int:
    """The offset after the last batch of a cleaner's swap file (its base if it has none)."""
    end = base_offset
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos + records.HEADER_SIZE <= size:
            try:
                h = records.parse_header(os.pread(fd, records.HEADER_SIZE, pos))
            except CorruptRecordError:
                break  # fsynced before it was named .swap: not expected; trust what parsed
            if pos + h.size > size:
                break
            end = h.next_offset
            pos += h.size
    finally:
        os.close(fd)
    return end


def _finish_cleaner_swaps(directory: Path) -> None:
    """Resolve an interrupted cleaner swap (see Log.replace_segments for the order of steps).

    - ``<base>.log.cleaned`` may be incomplete: it is discarded with the ``<base>.txnindex``
      ``.cleaned`` or ``.swap`` written for it, and the old segments stay as they are.
    - ``<base>.log.swap`` was complete and fsynced before it got that name: the swap is
      completed. Its batches are scanned for its end offset, every segment based above
      ``<base>`` and below that end is deleted (the later segments of its group; any not
      deleted lie wholly past its end and held only records cleaned away), the indexes of
      ``<base>`` are removed to be rebuilt, the swap file replaces ``<base>.log`` and a
      ``<base>.txnindex.swap`` replaces ``<base>.txnindex``.
    - a ``<base>.txnindex.swap`` alone belongs to a swap whose ``.log`` was renamed in just
      before the crash: it is renamed in too.
    """
    names = sorted(p.name for p in directory.iterdir())
    doomed: set[str] = set()
    for name in names:
        if name.endswith(LOG_SUFFIX + CLEANED_SUFFIX):
            log.warning("%s: discarding unfinished cleaner output %s", directory.name, name)
            stem = name[:20]
            doomed |= {name, stem + TXN_INDEX_SUFFIX + SWAP_SUFFIX}
        elif name.endswith(TXN_INDEX_SUFFIX + CLEANED_SUFFIX):
            doomed.add(name)
    for name in doomed:
        (directory / name).unlink(missing_ok=True)
    names = [n for n in names if n not in doomed]
    bases = sorted(int(n[:20]) for n in names if (m := _SEGMENT_FILE.match(n)) and m[2] == "log")
    for name in names:
        if not (name.endswith(LOG_SUFFIX + SWAP_SUFFIX) and _SEGMENT_FILE.match(name[:-5])):
            continue
        base = int(name[:20])
        end = _swap_end(directory / name, base)
        covered = [b for b in bases if base < b < end]
        log.warning(
            "%s: completing the cleaner's swap of %s (replacing %d later segment(s))",
            directory.name,
            name[:20],
            len(covered),
        )
        for b in covered:
            stem = segment_name(b)
            for suffix in (LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX):
                (directory / (stem + suffix)).unlink(missing_ok=True)
        stem = name[:20]
        for suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX):
            (directory / (stem + suffix)).unlink(missing_ok=True)
        fsync_dir(directory)
        (directory / name).replace(directory / (stem + LOG_SUFFIX))
    changed = bool(doomed)
    for path in sorted(directory.glob("*" + TXN_INDEX_SUFFIX + SWAP_SUFFIX)):
        path.replace(path.with_name(path.name[: -len(SWAP_SUFFIX)]))
        changed = True
    if changed or any(n.endswith(LOG_SUFFIX + SWAP_SUFFIX) for n in names):
        fsync_dir(directory)


def _load_segments(directory: Path, config: LogConfig) -> list[LogSegment]:
    """Segments found in ``directory`` (next offsets known for all but the last).

    Leftovers are removed: temporary files of interrupted atomic writes, index files whose
    ``.log`` is gone (a deletion interrupted half way), and interrupted cleaner swaps.
    """
    _finish_cleaner_swaps(directory)
    bases: set[int] = set()
    indexes: list[Path] = []
    for path in directory.iterdir():
        if path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
            continue
        m = _SEGMENT_FILE.match(path.name)
        if m is None:
            continue
        if path.suffix == LOG_SUFFIX:
            bases.add(int(m.group(1)))
        elif path.suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX):
            indexes.append(path)
    for path in indexes:
        if int(path.name[:20]) not in bases:
            path.unlink(missing_ok=True)
    ordered = sorted(bases)
    return [
        LogSegment.open_existing(
            directory,
            base,
            next_offset=ordered[i + 1] if i + 1 < len(ordered) else None,
            index_max_bytes=config.segment_index_bytes,
            index_interval_bytes=config.index_interval_bytes,
        )
        for i, base in enumerate(ordered)
    ]


def _recover(
    directory: Path,
    segments: list[LogSegment],
    start: int,
    epochs: LeaderEpochCache,
    log_start: int,
) -> list[LogSegment]:
    started = time.monotonic()
    result = recovery.recover(segments, start, directory.name, log_start)
    learned = False
    for epoch, offset in result.epochs:
        if epoch > epochs.latest_epoch:
            learned |= epochs.assign(epoch, offset, persist=False)
    if learned:  # else the file holds what was loaded (two fsyncs per partition saved)
        epochs.persist()
    if result.deleted_segments:
        fsync_dir(directory)
    log.info(
        "%s: recovered %d segment(s) to offset %d in %.0f ms",
        directory.name,
        len(result.segments) - start,
        result.segments[-1].next_offset,
        (time.monotonic() - started) * 1000,
    )
    return result.segments
