"""The log cleaner: compaction of topics whose cleanup.policy contains "compact".

A pass over one log (Kafka's algorithm):

1. The dirty section runs from the cleaner checkpoint (``cleaner-offset-checkpoint`` in the
   data dir; the log start when absent) up to the first uncleanable offset: the active
   segment, or the first segment holding records newer than ``min.compaction.lag.ms``.
2. A pass runs when dirty bytes / (clean + dirty bytes) >= ``min.cleanable.dirty.ratio``, when
   the oldest dirty record is older than ``max.compaction.lag.ms``, or when tombstones kept by
   an earlier pass are due for removal.
3. An offset map (key -> offset of its latest record) is built over the dirty section.
4. Every closed segment below the end of the dirty section is rewritten keeping a record when
   it has no key or is the latest of its key. Tombstones (null values) survive their first
   cleaning; once cleaned they go when the segment was last rewritten more than
   ``delete.retention.ms`` ago (the segment's mtime is when it was first cleaned: Kafka's
   delete horizon). Offsets keep their gaps; control batches are kept; a batch keeps its base
   offset, producer id/epoch, base sequence, last offset delta (so its last sequence) and
   compression codec; the last batch of each producer survives even when emptied (as a batch
   of no records), so idempotent producers keep their sequence state.
5. Consecutive segments are rewritten together into one (Kafka's groupSegmentsBySize, see
   ``_size_groups``) while their sizes add up to at most ``segment.bytes``, their index files
   to at most ``segment.index.bytes`` and their offsets span less than 2^31, so a compacted
   log does not keep one small segment per segment ever rolled. The group's mtime is the
   latest of its segments' (no tombstone goes early); segments keeping tombstones are grouped
   only with segments cleaned in the same eighth of ``delete.retention.ms`` (see
   ``_clean_group``), so a tombstone outlives its horizon by at most that and is never put
   off again and again by newer data joining it.
6. A group is written as ``<first base>.log.cleaned``, fsynced, and installed by
   ``Log.replace_segments``: renamed ``<first base>.log.swap`` (the commit point), the
   group's other segments deleted, then renamed over ``<first base>.log``. ``Log.open``
   discards a ``.cleaned`` file and completes a ``.swap`` file, deleting every segment its
   batches cover (log.py, ``_finish_cleaner_swaps``): a crash at any step leaves the group's
   old segments or the new one, never both. A group left without a batch is deleted instead
   (``Log.drop_segments``), unless it holds the log's first segment. The checkpoint then moves
   to the end of the dirty section.

Throttling: the cleaner is one asyncio task; it yields to the event loop every
``YIELD_EVERY_BYTES`` of log processed and sleeps to keep read + written bytes under
``log.cleaner.io.max.bytes.per.second``. It reads segments through its own file descriptors,
so a group with a segment deleted by retention (or changed) meanwhile is not swapped in and
the pass stops there without moving the checkpoint.

Transactions: records of a transactional batch enter the offset map only once the
transaction's commit marker is read in the closed segments, so neither an aborted nor a
still-open transaction's record can make an older committed record of its key go. Batches
of aborted transactions are removed (emptied when a producer's last). Markers (control
batches) are always kept: consumers and the aborted-transaction index rely on them. A
group's new segment gets the aborted-transaction entries of all its segments.

Not handled (yet): the offset map is not bounded (Kafka's dedupe buffer): a dirty section
with very many distinct keys costs memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from broker.log.log import CLEANED_SUFFIX, INT32_MAX, Log, LogConfig
from broker.log.manager import (
    CorruptCheckpointError,
    LogManager,
    TopicPartition,
    read_checkpoint,
    write_checkpoint,
)
from broker.log.segment import IndexBuilder, IndexState, LogSegment, now_ms
from broker.protocol import records
from broker.protocol.control_records import marker_is_commit
from broker.protocol.records import HEADER_SIZE, LOG_OVERHEAD, BatchHeader, Record

log = logging.getLogger("broker.log.cleaner")

CHECKPOINT_FILE = "cleaner-offset-checkpoint"
READ_CHUNK = 1 << 20
YIELD_EVERY_BYTES = 64 * 1024  # ~10 ms of cleaning work between yields
LONG_MAX = 2**63 - 1
# Tombstones may outlive delete.retention.ms by up to this fraction of it when segments
# cleaned at different times are grouped (see LogCleaner._clean_group).
HORIZON_BUCKETS = 8

# Byte offsets inside a v2 batch header (records.py documents the layout).
_LAST_OFFSET_DELTA_AT = 23
_CRC_AT = 17
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_EMPTY_HEADER = struct.Struct(">qiibIhiqqqhii")


@dataclass(frozen=True, slots=True)
class CleanerConfig:
    """The topic configs that steer compaction of one log."""

    min_compaction_lag_ms: int = 0
    max_compaction_lag_ms: int = LONG_MAX
    min_cleanable_dirty_ratio: float = 0.5
    delete_retention_ms: int = 86_400_000

    @classmethod
    def from_topic_config(cls, cfg: dict[str, str | None]) -> CleanerConfig | None:
        """The settings for a topic's effective configs; None unless it is compacted."""
        policy = {p.strip() for p in (cfg.get("cleanup.policy") or "").split(",")}
        if "compact" not in policy:
            return None
        return cls(
            min_compaction_lag_ms=int(cfg["min.compaction.lag.ms"] or 0),
            max_compaction_lag_ms=int(cfg["max.compaction.lag.ms"] or LONG_MAX),
            min_cleanable_dirty_ratio=float(cfg["min.cleanable.dirty.ratio"] or 0.5),
            delete_retention_ms=int(cfg["delete.retention.ms"] or 0),
        )


@dataclass(slots=True)
class CleanerStats:
    """Counters for /metrics (monotonic except the last-pass figures)."""

    passes: int = 0
    segments_cleaned: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    records_removed: int = 0
    errors: int = 0
    last_pass_duration_ms: float = 0.0
    last_pass_bytes_read: int = 0


@dataclass(slots=True)
class DirtySection:
    """What a pass over one log would clean."""

    first_dirty: int
    end: int  # first uncleanable offset
    clean_bytes: int
    dirty_bytes: int
    oldest_dirty_ms: int  # -1 if unknown

    @property
    def ratio(self) -> float:
        total = self.clean_bytes + self.dirty_bytes
        return self.dirty_bytes / total if total else 0.0


@dataclass(slots=True)
class PassResult:
    end: int  # new checkpoint
    segments: int = 0  # cleaned
    segments_written: int = 0  # what they became (emptied ones are deleted, not the first)
    bytes_read: int = 0
    bytes_written: int = 0
    records_removed: int = 0
    tombstones_kept: int = 0
    tombstones_due_ms: int = LONG_MAX  # earliest time a kept tombstone may go
    aborted: bool = False  # a segment changed under the cleaner: the checkpoint stays


@dataclass(frozen=True, slots=True)
class _Keep:
    """What the offset map pass decided."""

    offset_map: dict[bytes, int]  # key -> offset of its latest record in the dirty section
    last_batches: dict[int, int]  # producer id -> base offset of its last batch (closed)
    aborted: set[int]  # base offsets of the batches of aborted transactions


@dataclass(slots=True)
class _Member:
    """A segment rewritten into a group, as the cleaner found it."""

    seg: LogSegment
    size: int
    mtime_ns: int
    next_offset: int
    clean_before: bool  # below the dirty section: cleaned by an earlier pass


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where a group's output stood before a segment was added (to take it out again)."""

    written: int
    offset_entries: int
    time_entries: int
    state: IndexState
    next_offset: int
    bytes_read: int
    records_removed: int


@dataclass(slots=True)
class _Output:
    """The ``<first base>.log.cleaned`` file a group of segments is rewritten into."""

    path: Path
    fd: int
    builder: IndexBuilder
    members: list[_Member] = field(default_factory=list)
    written: int = 0
    tombstones: int = 0
    cleaned_ms: int = -1  # when its records were first cleaned: the latest of its members'

    def mark(self, result: PassResult) -> _Mark:
        b, st = self.builder, self.builder.state
        return _Mark(
            self.written,
            len(b.offset_entries),
            len(b.time_entries),
            IndexState(st.max_timestamp, st.offset_of_max_timestamp, st.bytes_since_entry),
            b.next_offset,
            result.bytes_read,
            result.records_removed,
        )

    def rollback(self, mark: _Mark, result: PassResult) -> None:
        os.ftruncate(self.fd, mark.written)
        self.written = mark.written
        b = self.builder
        del b.offset_entries[mark.offset_entries :]
        del b.time_entries[mark.time_entries :]
        b.state = mark.state
        b.next_offset = mark.next_offset
        result.bytes_read = mark.bytes_read
        result.records_removed = mark.records_removed


@dataclass(slots=True)
class _Throttle:
    rate: float  # bytes per second
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    since_yield: int = 0

    async def account(self, n: int) -> None:
        """Count ``n`` bytes of I/O; yield to the loop regularly, sleep to keep the rate."""
        self.done += n
        self.since_yield += n
        if self.since_yield < YIELD_EVERY_BYTES:
            return
        self.since_yield = 0
        ahead = self.done / self.rate - (time.monotonic() - self.started)
        await asyncio.sleep(max(0.0, ahead))


class LogCleaner:
    """Compacts the logs of one LogManager in the background (``run``) or on demand."""

    def __init__(
        self,
        logs: LogManager,
        config_for: Callable[[str], CleanerConfig | None],
        *,
        backoff_ms: int = 15_000,
        io_max_bytes_per_second: float = float(2**63),
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._logs = logs
        self._config_for = config_for
        self.backoff_ms = backoff_ms
        self.io_max_bytes_per_second = io_max_bytes_per_second
        self._clock = clock
        self._checkpoint_path = logs.data_dir / CHECKPOINT_FILE
        self._checkpoints = self._read_checkpoints()
        self._tombstones_due: dict[TopicPartition, int] = {}
        self.stats = CleanerStats()
        for key, lg in logs.logs().items():
            self._mark_cleaned(lg, self._checkpoints.get(key, 0))

    # --- scheduling ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Clean whatever needs it, then sleep ``backoff_ms``; forever (until cancelled)."""
        while True:
            try:
                await self.clean_all()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.errors += 1
                log.exception("log cleaner pass failed")
            await asyncio.sleep(self.backoff_ms / 1000)

    async def clean_all(self) -> int:
        """One round over every compacted log that is due; the number of logs cleaned."""
        cleaned = 0
        live = self._logs.logs()
        for key, lg in live.items():
            config = self._config_for(key[0])
            if config is None:
                continue
            if await self.maybe_clean(key, lg, config):
                cleaned += 1
        stale = [k for k in self._checkpoints if k not in live]
        if stale:
            for k in stale:
                del self._checkpoints[k]
            self._write_checkpoints()
        return cleaned

    def dirty_section(self, key: TopicPartition, lg: Log, config: CleanerConfig) -> DirtySection:
        now = self._clock()
        first_dirty = max(self._checkpoints.get(key, 0), lg.log_start_offset)
        closed = lg.closed_segments()
        # Not the last closed segment's next offset: after a recovery that is the end of its
        # last batch, which cleaning may have removed.
        end = lg.active_base_offset if closed else lg.log_start_offset
        clean_bytes = dirty_bytes = 0
        oldest = -1
        for seg in closed:
            if seg.next_offset <= first_dirty:
                clean_bytes += seg.size
                continue
            newest = seg.max_timestamp if seg.max_timestamp >= 0 else seg.last_modified_ms
            if now - newest < config.min_compaction_lag_ms:
                end = seg.base_offset
                break
            if oldest < 0 and seg.size:
                oldest = seg.first_timestamp
            dirty_bytes += seg.size
        first_dirty = min(first_dirty, end)
        return DirtySection(first_dirty, end, clean_bytes, dirty_bytes, oldest)

    async def maybe_clean(self, key: TopicPartition, lg: Log, config: CleanerConfig) -> bool:
        """Clean ``lg`` if its dirty ratio, max lag or due tombstones call for it."""
        section = self.dirty_section(key, lg, config)
        now = self._clock()
        due = (
            section.dirty_bytes > 0
            and (
                section.ratio >= config.min_cleanable_dirty_ratio
                or (
                    section.oldest_dirty_ms >= 0
                    and now - section.oldest_dirty_ms >= config.max_compaction_lag_ms
                )
            )
        ) or self._tombstones_due.get(key, LONG_MAX) <= now
        if not due:
            return False
        await self.clean(key, lg, config, section)
        return True

    # --- a pass -------------------------------------------------------------------------------

    async def clean(
        self,
        key: TopicPartition,
        lg: Log,
        config: CleanerConfig,
        section: DirtySection | None = None,
    ) -> PassResult:
        """Run one pass over ``lg`` regardless of its dirty ratio."""
        if section is None:
            section = self.dirty_section(key, lg, config)
        started = time.monotonic()
        throttle = _Throttle(self.io_max_bytes_per_second)
        result = PassResult(end=section.end)
        now = self._clock()
        segments = [s for s in lg.closed_segments() if s.base_offset < section.end]
        try:
            if segments:
                keep, undecided = await self._build_offset_map(
                    lg.closed_segments(), lg.active_segment, section, throttle, result
                )
                if undecided < section.end:
                    # An open transaction: its records are neither in the map nor may be
                    # judged yet, so the pass stops at its segment and the checkpoint stays
                    # below it (Kafka stops at the first unstable offset). Otherwise, decided
                    # later, they would be below the dirty section and never supersede the
                    # older records of their keys.
                    result.end = max(s.base_offset for s in segments if s.base_offset <= undecided)
                    segments = [s for s in segments if s.base_offset < result.end]
                for planned in _size_groups(segments, lg.config):
                    while planned and not result.aborted:
                        taken = await self._clean_group(
                            lg, planned, keep, section, config, now, throttle, result
                        )
                        if taken is None:
                            result.aborted = True
                        planned = planned[taken or 0 :]
                    if result.aborted:
                        break
        except FileNotFoundError as e:  # retention or a deletion took a segment meanwhile
            log.info("%s-%d: cleaning stopped, a segment went away: %s", key[0], key[1], e)
            result.aborted = True
        if not result.aborted:
            self._checkpoints[key] = result.end
            self._write_checkpoints()
        if result.tombstones_kept:
            self._tombstones_due[key] = result.tombstones_due_ms
        elif not result.aborted:
            self._tombstones_due.pop(key, None)
        duration = (time.monotonic() - started) * 1000
        s = self.stats
        s.passes += 1
        s.segments_cleaned += result.segments
        s.bytes_read += result.bytes_read
        s.bytes_written += result.bytes_written
        s.records_removed += result.records_removed
        s.last_pass_duration_ms = duration
        s.last_pass_bytes_read = result.bytes_read
        log.info(
            "%s-%d: cleaned %d segment(s) into %d up to offset %d in %.0f ms: %d record(s) "
            "removed, %d -> %d bytes%s",
            key[0],
            key[1],
            result.segments,
            result.segments_written,
            result.end,
            duration,
            result.records_removed,
            result.bytes_read,
            result.bytes_written,
            " (aborted: the log changed)" if result.aborted else "",
        )
        return result

    async def _build_offset_map(
        self,
        segments: list[LogSegment],
        active: LogSegment,
        section: DirtySection,
        throttle: _Throttle,
        result: PassResult,
    ) -> tuple[_Keep, int]:
        """(what to keep, first offset of a still open transaction or LONG_MAX).

        Producers are judged by the closed segments only: one that also wrote to the active
        segment then keeps an extra (empty) batch, which is harmless. Records of a
        transaction count once its commit marker is seen, in the active segment too (as far
        as it is written when read; it is read only while a transaction is still open).
        """
        offset_map: dict[bytes, int] = {}
        last_batches: dict[int, int] = {}
        pending_keys: dict[int, list[tuple[bytes, int]]] = {}  # open transactions' records
        pending_batches: dict[int, list[int]] = {}
        aborted: set[int] = set()
        for seg in [*segments, active]:
            if seg is active and not any(pending_batches.values()):
                break  # no transaction left open: its marker need not be looked for
            dirty = seg.base_offset < section.end and seg.next_offset > section.first_dirty
            for _, h, raw in _batches_of(seg):
                await throttle.account(len(raw))
                result.bytes_read += len(raw)
                if h.producer_id >= 0 and seg is not active:
                    last_batches[h.producer_id] = h.base_offset
                if h.is_transactional and h.producer_id >= 0:
                    if h.is_control:
                        keys = pending_keys.pop(h.producer_id, [])
                        batches = pending_batches.pop(h.producer_id, [])
                        if _is_commit(raw):
                            for key, offset in keys:
                                if offset > offset_map.get(key, -1):
                                    offset_map[key] = offset
                        else:
                            aborted.update(batches)
                        continue
                    pending_batches.setdefault(h.producer_id, []).append(h.base_offset)
                if not dirty or h.is_control or h.next_offset <= section.first_dirty:
                    continue
                target = (
                    pending_keys.setdefault(h.producer_id, [])
                    if h.is_transactional and h.producer_id >= 0
                    else None
                )
                for r in records.decode_batch(raw).records:
                    if r.key is not None and section.first_dirty <= r.offset < section.end:
                        if target is not None:
                            target.append((r.key, r.offset))
                        else:
                            offset_map[r.key] = r.offset
        undecided = min((b[0] for b in pending_batches.values() if b), default=LONG_MAX)
        return _Keep(offset_map, last_batches, aborted), undecided

    async def _clean_group(
        self,
        lg: Log,
        candidates: list[LogSegment],
        keep: _Keep,
        section: DirtySection,
        config: CleanerConfig,
        now: int,
        throttle: _Throttle,
        result: PassResult,
    ) -> int | None:
        """Rewrite the first of ``candidates`` and as many following ones as may join it into
        one segment, and swap it in: how many were taken; None if one changed meanwhile
        (then nothing is swapped).

        Each segment's tombstones are judged by its own mtime; the group's mtime is the
        latest of them (never too early for any tombstone). So that an old tombstone is not
        put off again and again by newer segments joining it, a segment keeping tombstones
        joins only segments cleaned in the same horizon bucket (``_same_bucket``), and a
        newer segment does not join a group keeping tombstones of an older bucket: the delay
        stays under a bucket, one ``HORIZON_BUCKETS``-th of delete.retention.ms.
        """
        first = candidates[0]
        path = first.log_path.with_name(first.log_path.name + CLEANED_SUFFIX)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        out = _Output(path, fd, IndexBuilder(first.base_offset, lg.config.index_interval_bytes))
        retention = config.delete_retention_ms
        try:
            for seg in candidates:
                clean_before = seg.next_offset <= section.first_dirty
                mtime_ns = os.stat(seg.log_path).st_mtime_ns
                member = _Member(seg, seg.size, mtime_ns, seg.next_offset, clean_before)
                member_ms = mtime_ns // 1_000_000
                cleaned_ms = member_ms if clean_before else now
                group_ms = max(out.cleaned_ms, cleaned_ms)
                if out.tombstones and not _same_bucket(group_ms, out.cleaned_ms, retention):
                    break
                drop_tombstones = clean_before and now - member_ms >= retention
                mark = out.mark(result)
                kept = await self._clean_into(out, seg, keep, drop_tombstones, throttle, result)
                if out.members and kept and not _same_bucket(cleaned_ms, group_ms, retention):
                    out.rollback(mark, result)  # it starts the next group instead
                    break
                out.members.append(member)
                out.tombstones += kept
                out.cleaned_ms = group_ms
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
        installed = self._install(lg, out)
        if installed is None:
            return None
        result.segments += len(out.members)
        result.segments_written += installed
        result.bytes_written += out.written
        if out.tombstones:
            result.tombstones_kept += out.tombstones
            result.tombstones_due_ms = min(result.tombstones_due_ms, out.cleaned_ms + retention)
        return len(out.members)

    @staticmethod
    def _install(lg: Log, out: _Output) -> int | None:
        """Swap the group's cleaned file in: how many segments it left (0 or 1); None if a
        segment of the group changed meanwhile."""
        olds = [m.seg for m in out.members]
        if any(m.seg.size != m.size for m in out.members):
            out.path.unlink(missing_ok=True)
            return None
        if out.written == 0 and olds[0] is not lg.first_segment:
            # Nothing left: the segments go (reads skip the gap, as they skip compacted
            # offsets). Left in place, emptied segments piled up without end, three files
            # each. The log's first stays, emptied, so the log start does not move.
            out.path.unlink(missing_ok=True)
            return 0 if lg.drop_segments(olds) else None
        if all(m.clean_before for m in out.members):
            # A segment's mtime says when its records were first cleaned (the delete horizon
            # counts from then): the group keeps the latest of its segments'. One holding a
            # newly cleaned segment keeps the mtime of now.
            mtime_ns = max(m.mtime_ns for m in out.members)
            os.utime(out.path, ns=(mtime_ns, mtime_ns))
        out.builder.next_offset = out.members[-1].next_offset
        return 1 if lg.replace_segments(olds, out.path, out.builder) else None

    async def _clean_into(
        self,
        out: _Output,
        seg: LogSegment,
        keep: _Keep,
        drop_tombstones: bool,
        throttle: _Throttle,
        result: PassResult,
    ) -> int:
        """Append the batches of ``seg`` that stay to ``out``: the tombstones it kept."""
        kept_tombstones = 0
        for _, h, raw in _batches_of(seg):
            keep_empty = keep.last_batches.get(h.producer_id) == h.base_offset
            if h.base_offset in keep.aborted and not h.is_control:
                data = _empty_batch(h) if keep_empty else None
                removed, tombstones = h.records_count, 0
            else:
                data, removed, tombstones = _filter_batch(
                    h, raw, keep.offset_map, keep_empty, drop_tombstones
                )
            result.bytes_read += len(raw)
            result.records_removed += removed
            kept_tombstones += tombstones
            if data is not None:
                out.builder.add(out.written, records.parse_header(data))
                _write_all(out.fd, data, out.written)
                out.written += len(data)
            await throttle.account(len(raw) + (len(data) if data is not None else 0))
        return kept_tombstones

    # --- checkpoint ---------------------------------------------------------------------------

    def _read_checkpoints(self) -> dict[TopicPartition, int]:
        try:
            return read_checkpoint(self._checkpoint_path)
        except CorruptCheckpointError as e:
            log.warning("%s; cleaning every compacted log from its start", e)
            return {}

    def _write_checkpoints(self) -> None:
        write_checkpoint(self._checkpoint_path, self._checkpoints)

    def checkpoint_of(self, key: TopicPartition) -> int | None:
        return self._checkpoints.get(key)

    @staticmethod
    def _mark_cleaned(lg: Log, checkpoint: int) -> None:
        for seg in lg.closed_segments():
            if seg.next_offset <= checkpoint:
                seg.cleaned = True


def _size_groups(segments: list[LogSegment], config: LogConfig) -> list[list[LogSegment]]:
    """Runs of consecutive segments that may become one (Kafka's groupSegmentsBySize): their
    sizes add up to at most segment.bytes, their offset and time index files each to at most
    segment.index.bytes, and their offsets span less than 2^31 (the indexes hold offsets
    relative to the base). Judged before cleaning, so the cleaned output is within them."""
    groups: list[list[LogSegment]] = []
    totals = (0, 0, 0)
    for seg in segments:
        sizes = (seg.size, _size_on_disk(seg.index_path), _size_on_disk(seg.time_index_path))
        joined = (totals[0] + sizes[0], totals[1] + sizes[1], totals[2] + sizes[2])
        if (
            groups
            and joined[0] <= config.segment_bytes
            and max(joined[1], joined[2]) <= config.segment_index_bytes
            and (seg.size == 0 or seg.next_offset - 1 - groups[-1][0].base_offset <= INT32_MAX)
        ):
            groups[-1].append(seg)
            totals = joined
        else:
            groups.append([seg])
            totals = sizes
    return groups


def _size_on_disk(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0  # rebuilt on first use; only ever missing after a crash


def _same_bucket(a_ms: int, b_ms: int, retention_ms: int) -> bool:
    """Whether tombstones first cleaned at ``a_ms`` and ``b_ms`` may share a segment (and
    so its mtime, the later of the two)."""
    width = retention_ms // HORIZON_BUCKETS
    return a_ms == b_ms if width <= 0 else a_ms // width == b_ms // width


def _is_commit(raw: bytes) -> bool:
    try:
        return marker_is_commit(raw)
    except ValueError:
        return False  # not a transaction marker: decide nothing as committed


def _write_all(fd: int, data: bytes, position: int) -> None:
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], position + done)


def _batches_of(seg: LogSegment) -> Iterator[tuple[int, BatchHeader, bytes]]:
    """(position, header, bytes) of each batch, read through a descriptor of our own so the
    segment may be closed or deleted while the cleaner is suspended."""
    fd = os.open(seg.log_path, os.O_RDONLY)
    try:
        end = seg.size
        pos = 0
        buf, buf_start = b"", 0
        while pos < end:
            off = pos - buf_start
            if off + HEADER_SIZE > len(buf):
                buf, buf_start, off = os.pread(fd, min(READ_CHUNK, end - pos), pos), pos, 0
            h = records.parse_header(buf, off)
            if off + h.size > len(buf):
                buf, buf_start, off = os.pread(fd, max(READ_CHUNK, h.size), pos), pos, 0
                if h.size > len(buf):
                    raise records.CorruptRecordError(f"{seg.log_path.name}: batch at {pos} cut")
            raw = bytes(buf[off : off + h.size])
            yield pos, h, raw
            pos += h.size
    finally:
        os.close(fd)


def _filter_batch(
    h: BatchHeader,
    raw: bytes,
    offset_map: dict[bytes, int],
    keep_empty: bool,
    drop_tombstones: bool,
) -> tuple[bytes | None, int, int]:
    """(the batch to write or None, records removed, tombstones kept)."""
    if h.is_control:
        return raw, 0, 0
    batch = records.decode_batch(raw)
    kept: list[Record] = []
    tombstones = 0
    for r in batch.records:
        if r.key is not None:
            latest = offset_map.get(r.key)
            if latest is not None and r.offset < latest:
                continue
            if r.value is None:
                if drop_tombstones:
                    continue
                tombstones += 1
        kept.append(r)
    removed = len(batch.records) - len(kept)
    if removed == 0:
        return raw, 0, tombstones
    if not kept:
        return (_empty_batch(h) if keep_empty else None), removed, 0
    out = bytearray(
        records.build_batch(
            kept,
            base_offset=h.base_offset,
            compression=h.compression,
            producer_id=h.producer_id,
            producer_epoch=h.producer_epoch,
            base_sequence=h.base_sequence,
            partition_leader_epoch=h.partition_leader_epoch,
            transactional=h.is_transactional,
            log_append_time=h.log_append_time,
        )
    )
    # The batch keeps its last offset delta (and so its last sequence) even when its last
    # records went: producers and fetchers rely on batch boundaries, not record counts.
    _I32.pack_into(out, _LAST_OFFSET_DELTA_AT, h.last_offset_delta)
    _U32.pack_into(out, _CRC_AT, records.crc_of(out, 0, len(out)))
    return bytes(out), removed, tombstones


def _empty_batch(h: BatchHeader) -> bytes:
    """A batch of no records with ``h``'s offsets, producer and sequence (as Kafka keeps)."""
    attributes = h.attributes & ~records.COMPRESSION_MASK
    out = bytearray(
        _EMPTY_HEADER.pack(
            h.base_offset,
            HEADER_SIZE - LOG_OVERHEAD,
            h.partition_leader_epoch,
            records.MAGIC_V2,
            0,
            attributes,
            h.last_offset_delta,
            h.base_timestamp,
            h.max_timestamp,
            h.producer_id,
            h.producer_epoch,
            h.base_sequence,
            0,
        )
    )
    _U32.pack_into(out, _CRC_AT, records.crc_of(out, 0, len(out)))
    return bytes(out)
