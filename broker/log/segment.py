"""One segment of a partition log: a ``.log`` file of record batches plus its two indexes.

On-disk format: ``<dir>/<base_offset:020d>.log`` holds whole v2 record batches back to back,
exactly as served to consumers (base offsets and partition leader epochs stamped); offsets
increase from ``base_offset`` (contiguously, except where the log cleaner removed records).
Beside it, ``.index`` (see offset_index.py) and ``.timeindex`` (see time_index.py) are sparse
and rebuildable: they are never the only copy of anything. ``.txnindex`` (txn_index.py) lists
the transactions aborted in the segment; it exists only once one was.

Appends write the caller's bytes at the current end with one positional write, then the index
entries they earn. The three writes are one unit: if any fails, the ``.log`` file and both
indexes are cut back (ftruncate) to their previous lengths, so a refused batch neither sits
behind a later append nor comes back when the segment is scanned after a restart.

Failure policy: reads trust ``size`` (only whole appended batches are below it). Index files
that fail their sanity check are rebuilt from batch headers on first use, with a warning. A
broken header found while scanning raises records.CorruptRecordError; deciding what to cut
off is the job of recovery.py, not of the segment.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from broker.log.offset_index import CorruptIndexError, OffsetIndex
from broker.log.time_index import TimeIndex
from broker.log.txn_index import TXN_INDEX_SUFFIX, TxnIndex
from broker.protocol import records
from broker.protocol.records import HEADER_SIZE, BatchHeader, CorruptRecordError

log = logging.getLogger("broker.log")

LOG_SUFFIX = ".log"
INDEX_SUFFIX = ".index"
TIME_INDEX_SUFFIX = ".timeindex"
SCAN_CHUNK = 4096  # bytes read at a time when walking headers (most batches are small)
NO_TIMESTAMP = -1


def segment_name(base_offset: int) -> str:
    return f"{base_offset:020d}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What DescribeLogDirs, retention and the admin endpoint need to know of a segment."""

    base_offset: int
    next_offset: int
    size_bytes: int
    first_timestamp: int  # max timestamp of the first batch (Kafka's), -1 if empty
    max_timestamp: int  # -1 if no batch carries a timestamp
    created_ms: int  # wall clock of the first append (estimated for segments loaded from disk)
    last_modified_ms: int
    active: bool
    cleaned: bool = False  # rewritten by the log cleaner (or below its checkpoint)


@dataclass(slots=True)
class IndexState:
    """Running statistics deciding when a batch gets index entries."""

    max_timestamp: int = NO_TIMESTAMP
    offset_of_max_timestamp: int = -1
    bytes_since_entry: int = 0

    def observe(self, header: BatchHeader, interval: int) -> bool:
        """Account for the next batch; True when it should be indexed."""
        if header.max_timestamp > self.max_timestamp:
            self.max_timestamp = header.max_timestamp
            self.offset_of_max_timestamp = header.base_offset
        due = self.bytes_since_entry >= interval
        if due:
            self.bytes_since_entry = 0
        self.bytes_since_entry += header.size
        return due


class IndexBuilder:
    """Collects the index entries that appending batches in order makes (for rebuilds)."""

    def __init__(self, base_offset: int, interval: int) -> None:
        self.interval = interval
        self.state = IndexState()
        self.offset_entries: list[tuple[int, int]] = []
        self.time_entries: list[tuple[int, int]] = []
        self.next_offset = base_offset

    def add(self, position: int, header: BatchHeader) -> None:
        state = self.state
        if state.observe(header, self.interval):
            if state.offset_of_max_timestamp >= 0 and (
                not self.time_entries or state.max_timestamp > self.time_entries[-1][0]
            ):
                self.time_entries.append((state.max_timestamp, state.offset_of_max_timestamp))
            self.offset_entries.append((header.base_offset, position))
        self.next_offset = header.next_offset


class LogSegment:
    """A ``.log`` file with lazily loaded indexes and statistics."""

    def __init__(
        self,
        directory: Path,
        base_offset: int,
        *,
        size: int,
        next_offset: int | None,
        index_max_bytes: int,
        index_interval_bytes: int,
    ) -> None:
        self.directory = directory
        self.base_offset = base_offset
        self.size = size
        self._next_offset = next_offset
        self.index_max_bytes = index_max_bytes
        self.index_interval_bytes = index_interval_bytes
        stem = segment_name(base_offset)
        self.log_path = directory / (stem + LOG_SUFFIX)
        self.index_path = directory / (stem + INDEX_SUFFIX)
        self.time_index_path = directory / (stem + TIME_INDEX_SUFFIX)
        self.txn_index = TxnIndex(directory / (stem + TXN_INDEX_SUFFIX))  # aborted txns
        self._fd: int | None = None
        self._offset_index: OffsetIndex | None = None
        self._time_index: TimeIndex | None = None
        self._state: IndexState | None = None  # None until the statistics are known
        self._created_ms: int | None = None
        self._first_timestamp: int | None = None  # cached: the first batch never changes
        # (offset, position) where the last read stopped: a consumer's next fetch starts
        # there, so find_batch need not scan from the sparse index entry (~14 headers).
        self._next_read: tuple[int, int] | None = None
        self.cleaned = False  # set by the log cleaner

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: Path, base_offset: int, *, index_max_bytes: int, index_interval_bytes: int
    ) -> LogSegment:
        """A new empty segment (its files are created now)."""
        seg = cls(
            directory,
            base_offset,
            size=0,
            next_offset=base_offset,
            index_max_bytes=index_max_bytes,
            index_interval_bytes=index_interval_bytes,
        )
        seg._fd = os.open(seg.log_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        seg._offset_index = OffsetIndex(seg.index_path, base_offset, index_max_bytes)
        seg._time_index = TimeIndex(seg.time_index_path, base_offset, index_max_bytes)
        seg._offset_index.replace([])
        seg._time_index.replace([])
        # their files exist, empty; a handle is taken at the first entry, so an idle partition
        # holds one open file rather than three
        seg.close_indexes()
        seg._state = IndexState()
        return seg

    @classmethod
    def open_existing(
        cls,
        directory: Path,
        base_offset: int,
        *,
        next_offset: int | None,
        index_max_bytes: int,
        index_interval_bytes: int,
    ) -> LogSegment:
        """A segment found on disk; ``next_offset`` is None when only a scan can tell it."""
        size = (directory / (segment_name(base_offset) + LOG_SUFFIX)).stat().st_size
        return cls(
            directory,
            base_offset,
            size=size,
            next_offset=next_offset,
            index_max_bytes=index_max_bytes,
            index_interval_bytes=index_interval_bytes,
        )

    # --- lazily loaded parts ------------------------------------------------------------------

    @property
    def fd(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.log_path, os.O_RDWR)
        return self._fd

    @property
    def next_offset(self) -> int:
        if self._next_offset is None:
            raise RuntimeError(f"{self.log_path.name}: next offset unknown before check_tail()")
        return self._next_offset

    @property
    def offset_index(self) -> OffsetIndex:
        if self._offset_index is None:
            try:
                self._offset_index = OffsetIndex.load(
                    self.index_path, self.base_offset, self.index_max_bytes, self.size
                )
            except CorruptIndexError as e:
                self._rebuild_after(e)
        assert self._offset_index is not None
        return self._offset_index

    @property
    def time_index(self) -> TimeIndex:
        if self._time_index is None:
            try:
                self._time_index = TimeIndex.load(
                    self.time_index_path, self.base_offset, self.index_max_bytes, self.next_offset
                )
            except CorruptIndexError as e:
                self._rebuild_after(e)
        assert self._time_index is not None
        return self._time_index

    def _rebuild_after(self, error: CorruptIndexError) -> None:
        log.warning("%s: rebuilding indexes (%s)", self.directory.name, error)
        builder = self.new_index_builder()
        try:
            for pos, h in self.headers_from(0):
                builder.add(pos, h)
        except CorruptRecordError as e:
            log.error("%s: indexing stops at a broken batch: %s", self.log_path, e)
        self._write_indexes(builder)

    def new_index_builder(self) -> IndexBuilder:
        return IndexBuilder(self.base_offset, self.index_interval_bytes)

    def _write_indexes(self, builder: IndexBuilder) -> None:
        if self._offset_index is None:
            self._offset_index = OffsetIndex(
                self.index_path, self.base_offset, self.index_max_bytes
            )
        if self._time_index is None:
            self._time_index = TimeIndex(
                self.time_index_path, self.base_offset, self.index_max_bytes
            )
        self._offset_index.replace(builder.offset_entries)
        self._time_index.replace(builder.time_entries)
        self._state = builder.state

    @property
    def _stats(self) -> IndexState:
        if self._state is None:
            self._state = self._scan_tail(strict=False)
        return self._state

    def check_tail(self) -> None:
        """Learn the next offset and statistics by reading headers after the last index entry.

        Used on the last segment after a clean stop, instead of a full recovery scan. Raises
        CorruptRecordError if the batches there do not end exactly at the end of the file
        or their offsets are not contiguous (the caller then recovers the segment).
        """
        self._state = self._scan_tail(strict=True)

    def _scan_tail(self, *, strict: bool) -> IndexState:
        last = self.offset_index.last_entry()
        start_offset, start_pos = last if last else (self.base_offset, 0)
        tail = IndexState()
        expected = start_offset
        try:
            for _, h in self.headers_from(start_pos):
                # Compaction leaves gaps: offsets only have to increase.
                if h.base_offset < expected:
                    raise CorruptRecordError(
                        f"{self.log_path.name}: batch at offset {h.base_offset}, expected "
                        f"at least {expected} (offsets not increasing)"
                    )
                tail.observe(h, self.index_interval_bytes)
                expected = h.next_offset
        except CorruptRecordError:
            if strict:
                raise
            log.exception("%s: broken batch after the last index entry", self.log_path)
        if self._next_offset is None:
            self._next_offset = expected
        elif strict and expected != self._next_offset:
            raise CorruptRecordError(
                f"{self.log_path.name}: ends at offset {expected}, expected {self._next_offset}"
            )
        indexed = self.time_index.last_entry()
        if indexed is not None and indexed[0] >= tail.max_timestamp:
            # Ties keep the earlier batch: the time index's holder precedes the tail.
            tail.max_timestamp, tail.offset_of_max_timestamp = indexed
        return tail

    # --- statistics ---------------------------------------------------------------------------

    @property
    def max_timestamp(self) -> int:
        return self._stats.max_timestamp

    @property
    def offset_of_max_timestamp(self) -> int:
        """Base offset of the first batch carrying ``max_timestamp`` (-1 if none)."""
        return self._stats.offset_of_max_timestamp

    @property
    def first_timestamp(self) -> int:
        if self.size == 0:
            return NO_TIMESTAMP
        if self._first_timestamp is None:
            header = records.parse_header(os.pread(self.fd, HEADER_SIZE, 0))
            self._first_timestamp = header.max_timestamp
        return self._first_timestamp

    @property
    def created_ms(self) -> int | None:
        """Wall clock of the first append; None while the segment is empty.

        For a segment loaded from disk the first batch's max timestamp stands in (clamped to
        now, else the file's mtime), so segment.ms keeps counting across restarts.
        """
        if self._created_ms is None and self.size > 0:
            first = self.first_timestamp
            now = now_ms()
            self._created_ms = min(first, now) if first >= 0 else self.last_modified_ms
        return self._created_ms

    @property
    def last_modified_ms(self) -> int:
        return os.stat(self.log_path).st_mtime_ns // 1_000_000

    @property
    def indexes_full(self) -> bool:
        return self.offset_index.is_full or self.time_index.is_full

    def info(self, *, active: bool) -> SegmentInfo:
        # Describing a log must not leave a descriptor open per segment (thousands of them
        # for a long log): a .log file opened only to read statistics is closed again.
        borrowed = self._fd is None
        try:
            return SegmentInfo(
                base_offset=self.base_offset,
                next_offset=self.next_offset,
                size_bytes=self.size,
                first_timestamp=self.first_timestamp,
                max_timestamp=self.max_timestamp,
                created_ms=self.created_ms if self.created_ms is not None else -1,
                last_modified_ms=self.last_modified_ms,
                active=active,
                cleaned=self.cleaned,
            )
        finally:
            if borrowed and self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # --- appending ----------------------------------------------------------------------------

    def append(self, data: memoryview, batches: list[tuple[int, BatchHeader]], now: int) -> None:
        """Write ``data`` (whole batches; ``batches`` hold positions within ``data``)."""
        start = self.size
        fd = self.fd
        # Loaded before writing, so that a failure can restore them exactly.
        oi, ti = self.offset_index, self.time_index
        stats = self._stats
        saved_state = IndexState(
            stats.max_timestamp, stats.offset_of_max_timestamp, stats.bytes_since_entry
        )  # a copy: dataclasses.replace costs more than the rest of the bookkeeping
        oi_len, ti_len = len(oi), len(ti)
        try:
            written = 0
            while written < len(data):
                written += os.pwrite(fd, data[written:], start + written)
            state = self._stats
            interval = self.index_interval_bytes
            for pos, h in batches:
                if state.observe(h, interval):
                    # Time entry first: the tail scan on load (_scan_tail) relies on the time
                    # index reaching at least as far as the offset index.
                    if state.offset_of_max_timestamp >= 0:
                        ti.maybe_append(state.max_timestamp, state.offset_of_max_timestamp)
                    oi.append(h.base_offset, start + pos)
        except BaseException:
            # Undo the whole append: bytes past ``size`` would be found again by a restart.
            self._state = saved_state
            try:
                os.ftruncate(fd, start)
                ti.truncate_entries(ti_len)
                oi.truncate_entries(oi_len)
            except OSError:
                log.exception("%s: could not cut back a refused append", self.log_path)
            raise
        self.size = start + len(data)
        self._next_offset = batches[-1][1].next_offset
        if self._created_ms is None:
            self._created_ms = now

    # --- reading ------------------------------------------------------------------------------

    def headers_from(self, position: int) -> Iterator[tuple[int, BatchHeader]]:
        """(position, header) of each batch from ``position`` (a batch start) to the end.

        Raises CorruptRecordError at a header that cannot be parsed or a batch running past
        the end of the segment.
        """
        fd, end = self.fd, self.size
        buf, buf_start = b"", position
        pos = position
        while pos < end:
            off = pos - buf_start
            if off < 0 or off + HEADER_SIZE > len(buf):
                buf, buf_start, off = os.pread(fd, min(SCAN_CHUNK, end - pos), pos), pos, 0
            h = records.parse_header(buf, off)
            if pos + h.size > end:
                raise CorruptRecordError(
                    f"{self.log_path.name}: batch at {pos} ({h.size} bytes) runs past the end "
                    f"({end} bytes)"
                )
            yield pos, h
            pos += h.size

    def batch_position(self, offset: int) -> int | None:
        """Position of the first batch whose last offset is >= ``offset`` (None: none here);
        where the last read stopped, a consumer's next fetch, without reading anything."""
        hint = self._next_read
        if hint is not None and hint[0] == offset and hint[1] + HEADER_SIZE <= self.size:
            return hint[1]
        found = self.find_batch(offset)
        return None if found is None else found[0]

    def find_batch(self, offset: int) -> tuple[int, BatchHeader] | None:
        """(position, header) of the first batch whose last offset is >= ``offset``."""
        hint = self._next_read
        if hint is not None and hint[0] == offset and hint[1] + HEADER_SIZE <= self.size:
            # The batch there follows one whose last offset is ``offset - 1``.
            h = records.parse_header(os.pread(self.fd, HEADER_SIZE, hint[1]))
            if h.last_offset >= offset:
                return hint[1], h
        for pos, h in self.headers_from(self.offset_index.lookup(offset)):
            if h.last_offset >= offset:
                return pos, h
        return None

    def read_batches(
        self, position: int, max_bytes: int, upper_bound: int, min_one: bool
    ) -> tuple[bytes | memoryview, bool]:
        """Whole batches from ``position``: (data, reached the end of this segment).

        Takes batches while they fit in ``max_bytes`` and start below ``upper_bound``; with
        ``min_one`` the first batch is taken even when larger (KIP-74). A read that ends
        inside a batch is cut back with a view, not a copy (a fetch's megabytes are copied
        once, from the file).
        """
        avail = self.size - position
        if avail <= 0:
            return b"", True
        fd = self.fd
        buf = os.pread(fd, min(max(max_bytes, HEADER_SIZE), avail), position)
        p = 0
        while p + HEADER_SIZE <= len(buf):
            h = records.parse_header(buf, p)
            if h.base_offset >= upper_bound:
                return memoryview(buf)[:p], False
            if p + h.size > len(buf):
                break
            p += h.size
            self._next_read = (h.next_offset, position + p)
        if p == 0:
            if not min_one:
                return b"", False
            h = records.parse_header(buf, 0)  # buf holds a whole header: avail >= HEADER_SIZE
            self._next_read = (h.next_offset, position + h.size)
            return os.pread(fd, h.size, position), h.size == avail
        return (buf if p == len(buf) else memoryview(buf)[:p]), p == avail

    def read_batch(self, position: int, header: BatchHeader) -> records.Batch:
        """Decode the batch at ``position`` (records and all)."""
        return records.decode_batch(os.pread(self.fd, header.size, position))

    def find_timestamp(self, timestamp: int, start_offset: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record at or after ``start_offset`` whose timestamp
        is >= ``timestamp``, or None if this segment has none."""
        if self.max_timestamp < timestamp or self.next_offset <= start_offset:
            return None
        begin = max(self.time_index.lookup(timestamp), start_offset)
        for pos, h in self.headers_from(self.offset_index.lookup(begin)):
            if h.max_timestamp < timestamp or h.last_offset < start_offset:
                continue
            for r in self.read_batch(pos, h).records:
                if r.offset >= start_offset and r.timestamp >= timestamp:
                    return r.offset, r.timestamp
        return None

    def max_timestamp_from(self, start_offset: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with the largest timestamp among the
        records at or after ``start_offset``, or None if none carries a timestamp."""
        if start_offset <= self.base_offset:
            if self.offset_of_max_timestamp < 0:
                return None
            return self._top_record(self.offset_of_max_timestamp, start_offset)
        found = self.find_batch(start_offset)
        if found is None:
            return None
        # The first batch may hold records below start_offset: judge it by its records.
        pos, first = found
        best: tuple[int, int] | None = None
        for r in self.read_batch(pos, first).records:
            if r.offset >= start_offset and (best is None or r.timestamp > best[1]):
                best = (r.offset, r.timestamp)
        best_ts = best[1] if best is not None else NO_TIMESTAMP
        holder = -1
        for _, h in self.headers_from(pos + first.size):
            if h.max_timestamp > best_ts:
                best_ts, holder = h.max_timestamp, h.base_offset
        if holder >= 0:
            return self._top_record(holder, start_offset)
        return best if best is not None and best[1] > NO_TIMESTAMP else None

    def _top_record(self, batch_offset: int, start_offset: int) -> tuple[int, int]:
        """(offset, timestamp) of the first record at or after ``start_offset`` carrying the
        largest timestamp of the batch based at ``batch_offset``."""
        located = self.find_batch(batch_offset)
        assert located is not None, f"no batch at offset {batch_offset}"
        top: tuple[int, int] | None = None
        for r in self.read_batch(*located).records:
            if r.offset >= start_offset and (top is None or r.timestamp > top[1]):
                top = (r.offset, r.timestamp)
        assert top is not None
        return top

    # --- changing -----------------------------------------------------------------------------

    def truncate_to(self, offset: int) -> int:
        """Remove the batch containing ``offset`` and everything after; bytes removed."""
        found = self.find_batch(offset)
        if found is None:
            return 0
        position = found[0]
        builder = self.new_index_builder()
        for pos, h in self.headers_from(0):
            if pos >= position:
                break
            builder.add(pos, h)
        removed = self.size - position
        self.rebuild_from(builder, position)
        return removed

    def rebuild_from(self, builder: IndexBuilder, end: int) -> None:
        """Cut the file at ``end`` and install indexes built from every batch before it."""
        if end < self.size:
            os.ftruncate(self.fd, end)
        self.size = end
        self._next_offset = builder.next_offset
        self._next_read = None  # its position may no longer start a batch
        self._first_timestamp = None
        self._write_indexes(builder)
        if end == 0:
            self._created_ms = None

    def flush(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
        if self._offset_index is not None:
            self._offset_index.flush()
        if self._time_index is not None:
            self._time_index.flush()
        self.txn_index.flush()

    def close_indexes(self) -> None:
        """Release the index file handles (the in-memory entries stay)."""
        if self._offset_index is not None:
            self._offset_index.close()
        if self._time_index is not None:
            self._time_index.close()

    def close(self) -> None:
        self.close_indexes()
        self.txn_index.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def delete(self) -> None:
        """Close and remove the segment's files."""
        self.close()
        for path in (self.log_path, self.index_path, self.time_index_path):
            path.unlink(missing_ok=True)
        self.txn_index.delete()
