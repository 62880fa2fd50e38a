"""The sparse time index of one segment: where to start looking for a timestamp.

On-disk format (``<base_offset:020d>.timeindex``): a flat array of 12-byte big-endian entries
``(timestamp int64, relative_offset int32)``. An entry is considered each time an offset-index
entry is made (every ``index.interval.bytes`` of log) and written only when the segment's
largest batch max-timestamp so far has grown: ``timestamp`` is that maximum (batches up to
and including the indexed one) and ``relative_offset`` the base offset of the first batch that
carries it. Both columns are therefore strictly increasing.

Lookup for a target time picks the last entry whose timestamp is below the target: every batch
up to that entry's indexing point is older than the target, and the indexing point lies at or
after the entry's offset, so a forward scan may start at that offset.

Failure policy: as for the offset index, a file failing the sanity check (size not a multiple
of 12, columns not strictly increasing, offsets outside the segment) raises CorruptIndexError
and the segment rebuilds both indexes from the log.
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_left
from pathlib import Path

from broker.log.index_file import IndexFile
from broker.log.offset_index import CorruptIndexError

ENTRY = struct.Struct(">qi")
ENTRY_SIZE = ENTRY.size  # 12


class TimeIndex(IndexFile):
    """Sparse (max timestamp so far -> offset holding it) entries of one segment."""

    def __init__(self, path: Path, base_offset: int, max_bytes: int) -> None:
        super().__init__(path, base_offset, max_bytes, ENTRY_SIZE)
        self._timestamps = array("q")
        self._offsets = array("i")  # relative offsets

    @classmethod
    def load(cls, path: Path, base_offset: int, max_bytes: int, next_offset: int) -> TimeIndex:
        """Read and sanity-check an existing file (CorruptIndexError if it fails).

        ``next_offset`` bounds the entries' offsets: the segment's next offset if known.
        """
        index = cls(path, base_offset, max_bytes)
        try:
            data = path.read_bytes()
        except FileNotFoundError as e:
            raise CorruptIndexError(f"{path.name} is missing") from e
        if len(data) % ENTRY_SIZE:
            raise CorruptIndexError(f"{path.name}: size {len(data)} is not a multiple of 12")
        prev_ts = prev_off = -(2**63)
        for ts, rel in ENTRY.iter_unpack(data):
            if ts <= prev_ts or rel <= prev_off:
                raise CorruptIndexError(f"{path.name}: entries not strictly increasing at {ts}")
            if rel < 0 or base_offset + rel >= next_offset:
                raise CorruptIndexError(
                    f"{path.name}: offset {base_offset + rel} outside the segment"
                )
            index._timestamps.append(ts)
            index._offsets.append(rel)
            prev_ts, prev_off = ts, rel
        return index

    def __len__(self) -> int:
        return len(self._timestamps)

    @property
    def is_full(self) -> bool:
        return len(self._timestamps) >= self.max_entries

    def lookup(self, timestamp: int) -> int:
        """An offset from which to scan for the first batch with max timestamp >= ``timestamp``.

        The offset of the last entry whose timestamp is below the target, else the segment's
        base offset.
        """
        i = bisect_left(self._timestamps, timestamp)
        return self.base_offset + (self._offsets[i - 1] if i else 0)

    def last_entry(self) -> tuple[int, int] | None:
        """(timestamp, absolute offset) of the last entry."""
        if not self._timestamps:
            return None
        return self._timestamps[-1], self.base_offset + self._offsets[-1]

    def maybe_append(self, timestamp: int, offset: int) -> None:
        """Add (max timestamp so far, offset holding it) if it grew and there is room."""
        if self.is_full or (self._timestamps and timestamp <= self._timestamps[-1]):
            return
        rel = offset - self.base_offset
        if self._offsets and rel <= self._offsets[-1]:
            raise ValueError(f"time index offset {offset} is not past the last entry")
        os.pwrite(self._open(), ENTRY.pack(timestamp, rel), len(self._timestamps) * ENTRY_SIZE)
        self._timestamps.append(timestamp)
        self._offsets.append(rel)

    def truncate_entries(self, count: int) -> None:
        """Keep only the first ``count`` entries (undoes appends of a refused log append)."""
        del self._timestamps[count:]
        del self._offsets[count:]
        if self._fd is not None:
            os.ftruncate(self._fd, count * ENTRY_SIZE)

    def replace(self, entries: list[tuple[int, int]]) -> None:
        """Rewrite the whole index with (timestamp, absolute offset) entries."""
        entries = entries[: self.max_entries]
        self._timestamps = array("q", (t for t, _ in entries))
        self._offsets = array("i", (o - self.base_offset for _, o in entries))
        fd = self._open()
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"".join(ENTRY.pack(t, o - self.base_offset) for t, o in entries), 0)
