"""The aborted-transaction index of a segment: ``<base>.txnindex``, Apache Kafka's layout.

One entry per transaction aborted by a marker in this segment, 34 bytes, big endian::

    version int16 (=0), producer_id int64, first_offset int64, last_offset int64,
    last_stable_offset int64

``first_offset`` is the transaction's first record in this partition, ``last_offset`` its
abort marker, ``last_stable_offset`` the partition's LSO once the marker was written (a
fetch bounded below it needs look no further). A read_committed Fetch lists the entries
overlapping what it returns, so clients drop the aborted records.

Failure policy: an entry is appended (page cache) right after its marker; a torn last entry
is ignored when the file is read. The partition rewrites the index of every segment it
rescans at start-up (see broker/partition/txn_state.py), so entries always match the log.
The file exists only once a transaction was aborted in the segment.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from broker.log.atomic import fsync_dir

TXN_INDEX_SUFFIX = ".txnindex"
VERSION = 0
_ENTRY = struct.Struct(">hqqqq")
ENTRY_SIZE = _ENTRY.size


@dataclass(frozen=True, slots=True)
class AbortedTxn:
    producer_id: int
    first_offset: int
    last_offset: int
    last_stable_offset: int

    def encode(self) -> bytes:
        return _ENTRY.pack(
            VERSION, self.producer_id, self.first_offset, self.last_offset, self.last_stable_offset
        )


class TxnIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: list[AbortedTxn] | None = None  # loaded on first use
        self._fd: int | None = None
        self._unflushed = False

    @property
    def entries(self) -> list[AbortedTxn]:
        if self._entries is None:
            self._entries = _load(self.path)
        return self._entries

    def append(self, txn: AbortedTxn) -> None:
        entries = self.entries
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            # entries beyond a torn tail would be unreadable: cut it first
            os.ftruncate(self._fd, len(entries) * ENTRY_SIZE)
        os.write(self._fd, txn.encode())
        entries.append(txn)
        self._unflushed = True

    def replace(self, entries: list[AbortedTxn]) -> None:
        """Rewrite the index with ``entries`` (removed when there are none)."""
        if entries == self.entries:
            return
        self.close()
        if not entries:
            self.path.unlink(missing_ok=True)
        else:
            tmp = self.path.with_name(self.path.name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(b"".join(e.encode() for e in entries))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        fsync_dir(self.path.parent)
        self._entries = list(entries)

    def truncate_from(self, offset: int) -> None:
        """Forget the transactions whose marker is at or after ``offset`` (log truncated)."""
        kept = [e for e in self.entries if e.last_offset < offset]
        if len(kept) != len(self.entries):
            self.replace(kept)

    def collect(self, fetch_offset: int, upper_bound: int, out: list[AbortedTxn]) -> bool:
        """Add the entries overlapping [fetch_offset, upper_bound) to ``out``; True when an
        entry shows that no later segment can hold more (Kafka's completeness test)."""
        for e in self.entries:
            if e.last_offset >= fetch_offset and e.first_offset < upper_bound:
                out.append(e)
            if e.last_stable_offset >= upper_bound:
                return True
        return False

    def flush(self) -> None:
        if self._fd is not None and self._unflushed:
            os.fsync(self._fd)
            self._unflushed = False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def delete(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self._entries = []


def _load(path: Path) -> list[AbortedTxn]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for pos in range(0, len(data) - ENTRY_SIZE + 1, ENTRY_SIZE):
        version, pid, first, last, lso = _ENTRY.unpack_from(data, pos)
        if version != VERSION:
            break  # not an entry we wrote: stop rather than trust what follows
        entries.append(AbortedTxn(pid, first, last, lso))
    return entries
