"""Recovering a partition log after an unclean stop.

Everything below the recovery point was fsynced and is trusted. From the segment holding the
recovery point onwards each batch is checked in order:

- its header parses (magic v2, sane lengths)            else InvalidBatchHeader
- the whole batch lies inside the file                  else TruncatedBatch (a torn write)
- its CRC-32C matches (records.validate_batch)          else ChecksumMismatch
- its base offset is at least the previous batch's next
  offset (a segment's first batch: its base offset)     else NonContiguousOffsets

The first failure ends the log there: the segment is truncated at that batch, every later
segment is deleted, and a warning on logger "broker.log" says what was cut. The indexes of
every scanned segment are rebuilt from the valid batches. Offsets only have to increase: the
log cleaner leaves gaps where it removed records (and whole cleaned-out segments).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from broker.log.segment import IndexBuilder, LogSegment
from broker.protocol import records
from broker.protocol.records import HEADER_SIZE, CorruptRecordError

log = logging.getLogger("broker.log")

READ_CHUNK = 1 << 20


class LogCorruption(Exception):
    """A segment breaks a format invariant at ``position``."""

    def __init__(self, segment: LogSegment, position: int, detail: str) -> None:
        super().__init__(f"{segment.log_path.name} at byte {position}: {detail}")
        self.position = position


class InvalidBatchHeader(LogCorruption):
    """The bytes at a batch boundary are not a v2 batch header."""


class TruncatedBatch(LogCorruption):
    """A batch (or its header) runs past the end of the file: a torn write."""


class ChecksumMismatch(LogCorruption):
    """A batch's CRC-32C does not match its content."""


class NonContiguousOffsets(LogCorruption):
    """A batch starts below the offset following the previous one (offsets go back)."""


@dataclass(slots=True)
class SegmentScan:
    indexes: IndexBuilder  # entries for the valid batches
    epochs: list[tuple[int, int]] = field(default_factory=list)  # (epoch, first offset) rises
    valid_bytes: int = 0
    error: LogCorruption | None = None

    @property
    def next_offset(self) -> int:
        return self.indexes.next_offset


@dataclass(slots=True)
class RecoveryResult:
    """What recovery kept and cut."""

    segments: list[LogSegment]  # the log's segments after recovery
    epochs: list[tuple[int, int]]  # (leader epoch, first offset) as stamped in the batches
    truncated_bytes: int = 0
    deleted_segments: list[int] = field(default_factory=list)  # base offsets
    error: LogCorruption | None = None


def scan_segment(segment: LogSegment, expected_offset: int, log_start: int = 0) -> SegmentScan:
    """Validate every batch of ``segment``; stop at the first broken invariant.

    Leader epochs are collected from the batches that end above ``log_start``.
    """
    scan = SegmentScan(IndexBuilder(expected_offset, segment.index_interval_bytes))
    last_epoch = -1
    fd, end = segment.fd, segment.size
    buf, buf_start = b"", 0
    pos = 0
    try:
        while pos < end:
            if end - pos < HEADER_SIZE:
                raise TruncatedBatch(segment, pos, f"{end - pos} bytes, less than a header")
            off = pos - buf_start
            if off + HEADER_SIZE > len(buf):
                buf, buf_start, off = os.pread(fd, min(READ_CHUNK, end - pos), pos), pos, 0
            try:
                h = records.parse_header(buf, off)
            except CorruptRecordError as e:
                raise InvalidBatchHeader(segment, pos, str(e)) from e
            if pos + h.size > end:
                raise TruncatedBatch(segment, pos, f"batch of {h.size} bytes, {end - pos} left")
            if off + h.size > len(buf):
                buf, buf_start, off = os.pread(fd, max(READ_CHUNK, h.size), pos), pos, 0
            try:
                records.validate_batch(buf, off, h)
            except CorruptRecordError as e:
                raise ChecksumMismatch(segment, pos, str(e)) from e
            if h.base_offset < scan.next_offset:
                raise NonContiguousOffsets(
                    segment,
                    pos,
                    f"base offset {h.base_offset}, expected at least {scan.next_offset}",
                )
            scan.indexes.add(pos, h)
            if h.partition_leader_epoch > last_epoch and h.next_offset > log_start:
                last_epoch = h.partition_leader_epoch
                scan.epochs.append((last_epoch, h.base_offset))
            pos += h.size
    except LogCorruption as e:
        scan.error = e
    scan.valid_bytes = pos
    return scan


def recover(
    segments: list[LogSegment], start: int, directory_name: str, log_start: int = 0
) -> RecoveryResult:
    """Recover ``segments[start:]`` in place; earlier segments are trusted as they are."""
    result = RecoveryResult(segments=list(segments[:start]), epochs=[])
    expected = segments[start].base_offset
    for i in range(start, len(segments)):
        seg = segments[i]
        if seg.base_offset < expected:
            result.error = NonContiguousOffsets(
                seg, 0, f"segment starts at offset {seg.base_offset}, expected >= {expected}"
            )
            _delete(segments[i:], result)
            break
        scan = scan_segment(seg, expected, log_start)
        result.truncated_bytes += seg.size - scan.valid_bytes
        seg.rebuild_from(scan.indexes, scan.valid_bytes)
        result.segments.append(seg)
        result.epochs.extend(scan.epochs)
        expected = scan.next_offset
        if scan.error is not None:
            result.error = scan.error
            _delete(segments[i + 1 :], result)
            break
    if result.error is not None:
        log.warning(
            "%s: recovery truncated the log at offset %d: %s (%s); cut %d byte(s), "
            "deleted %d later segment(s)",
            directory_name,
            expected,
            type(result.error).__name__,
            result.error,
            result.truncated_bytes,
            len(result.deleted_segments),
        )
    return result


def _delete(doomed: list[LogSegment], result: RecoveryResult) -> None:
    for seg in doomed:
        result.truncated_bytes += seg.size
        result.deleted_segments.append(seg.base_offset)
        seg.delete()
