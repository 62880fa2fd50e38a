"""The sparse offset index of one segment: offset -> file position of a batch.

On-disk format (``<base_offset:020d>.index``): a flat array of 8-byte big-endian entries
``(relative_offset int32, position int32)``, where ``relative_offset`` is a batch's base offset
minus the segment's base offset and ``position`` is where that batch starts in the ``.log``
file. One entry is added every ``index.interval.bytes`` of log, so a lookup lands at most that
far (plus one batch) before the wanted batch and a short forward scan of headers finishes it.

The entries are held in memory (two ``array`` columns) and appended to the file as they are
made; the file is only read when the segment is loaded.

Failure policy: a file that fails the sanity check (size not a multiple of 8, offsets or
positions not strictly increasing, a position past the end of the log) raises
CorruptIndexError from ``load``; the segment then rebuilds the index from the log. An index is
never trusted for correctness beyond "a batch starts here", so a stale but sane entry set only
costs a longer scan.
"""

from __future__ import annotations

import os
import sys
from array import array
from bisect import bisect_right
from pathlib import Path

from broker.log.index_file import IndexFile

ENTRY_SIZE = 8


class CorruptIndexError(Exception):
    """An index file breaks its format invariants and must be rebuilt from the log."""


def _be_array(typecode: str, data: bytes) -> array:
    a = array(typecode)
    a.frombytes(data)
    if sys.byteorder == "little":
        a.byteswap()
    return a


def _be_bytes(a: array) -> bytes:
    if sys.byteorder == "little":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


class OffsetIndex(IndexFile):
    """Sparse (offset -> position) entries of one segment, strictly increasing in both."""

    def __init__(self, path: Path, base_offset: int, max_bytes: int) -> None:
        super().__init__(path, base_offset, max_bytes, ENTRY_SIZE)
        self._offsets = array("i")  # relative offsets
        self._positions = array("i")

    # --- loading ------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, base_offset: int, max_bytes: int, log_size: int) -> OffsetIndex:
        """Read and sanity-check an existing index file (CorruptIndexError if it fails)."""
        index = cls(path, base_offset, max_bytes)
        try:
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise CorruptIndexError(f"{path.name} is missing") from e
        if len(data) % ENTRY_SIZE:
            raise CorruptIndexError(f"{path.name}: size {len(data)} is not a multiple of 8")
        pairs = _be_array("i", data)
        index._offsets = pairs[0::2]
        index._positions = pairs[1::2]
        index._check(log_size)
        return index

    def _check(self, log_size: int) -> None:
        prev_off = prev_pos = -1
        for off, pos in zip(self._offsets, self._positions, strict=True):
            if off <= prev_off or pos <= prev_pos:
                raise CorruptIndexError(
                    f"{self.path.name}: entries not strictly increasing at offset "
                    f"{self.base_offset + off}"
                )
            if off < 0 or pos < 0 or pos >= log_size:
                raise CorruptIndexError(
                    f"{self.path.name}: entry ({self.base_offset + off}, {pos}) outside the log "
                    f"of {log_size} bytes"
                )
            prev_off, prev_pos = off, pos

    # --- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._offsets)

    @property
    def is_full(self) -> bool:
        return len(self._offsets) >= self.max_entries

    def lookup(self, offset: int) -> int:
        """Position of the greatest entry whose offset is <= ``offset`` (0 if none)."""
        i = bisect_right(self._offsets, offset - self.base_offset)
        return self._positions[i - 1] if i else 0

    def last_entry(self) -> tuple[int, int] | None:
        """(absolute offset, position) of the last entry."""
        if not self._offsets:
            return None
        return self.base_offset + self._offsets[-1], self._positions[-1]

    # --- writing ------------------------------------------------------------------------------

    def append(self, offset: int, position: int) -> None:
        """Add an entry (ignored when the index is full: it only makes later scans longer)."""
        if self.is_full:
            return
        rel = offset - self.base_offset
        if self._offsets and (rel <= self._offsets[-1] or position <= self._positions[-1]):
            raise ValueError(f"index entry ({offset}, {position}) is not past the last one")
        fd = self._open()
        entry = array("i", (rel, position))
        os.pwrite(fd, _be_bytes(entry), len(self._offsets) * ENTRY_SIZE)
        self._offsets.append(rel)
        self._positions.append(position)

    def truncate_entries(self, count: int) -> None:
        """Keep only the first ``count`` entries (undoes appends of a refused log append)."""
        del self._offsets[count:]
        del self._positions[count:]
        if self._fd is not None:
            os.ftruncate(self._fd, count * ENTRY_SIZE)

    def replace(self, entries: list[tuple[int, int]]) -> None:
        """Rewrite the whole index with (absolute offset, position) entries."""
        self._offsets = array("i", (o - self.base_offset for o, _ in entries[: self.max_entries]))
        self._positions = array("i", (p for _, p in entries[: self.max_entries]))
        fd = self._open()
        os.ftruncate(fd, 0)
        pairs = array("i", [0]) * (2 * len(self._offsets))
        pairs[0::2] = self._offsets
        pairs[1::2] = self._positions
        os.pwrite(fd, _be_bytes(pairs), 0)
