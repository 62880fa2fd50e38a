"""The leader-epoch cache of one partition: which leader epoch began at which offset.

On-disk format (``leader-epoch-checkpoint`` in the partition directory, as Apache Kafka writes
it)::

    0            <- format version
    2            <- number of entries
    0 0          <- "epoch start_offset", both strictly increasing
    3 1520

The file is rewritten atomically (temporary file, fsync, rename, directory fsync) whenever the
entries change, which happens only on a new leader epoch or a truncation.

Failure policy: an unreadable or malformed file raises CorruptEpochCheckpointError from
``load``; the log then rebuilds the cache from the partition leader epochs stamped in its batch
headers.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from broker.log.atomic import write_atomically

FILE_NAME = "leader-epoch-checkpoint"
VERSION = 0
UNDEFINED = -1


class CorruptEpochCheckpointError(Exception):
    """The leader-epoch checkpoint file does not follow its format."""


@dataclass(frozen=True, slots=True)
class EpochEntry:
    epoch: int
    start_offset: int


class LeaderEpochCache:
    """Entries (epoch, start offset) in increasing order of both."""

    def __init__(self, path: Path, entries: list[EpochEntry] | None = None) -> None:
        self.path = path
        self._entries: list[EpochEntry] = list(entries or [])

    @classmethod
    def load(cls, directory: Path) -> LeaderEpochCache:
        """Read the checkpoint (a missing file is an empty cache)."""
        path = directory / FILE_NAME
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as e:
            raise CorruptEpochCheckpointError(f"{path}: {e}") from e
        return cls(path, _parse(path, text))

    @property
    def entries(self) -> list[EpochEntry]:
        return list(self._entries)

    @property
    def latest_epoch(self) -> int:
        return self._entries[-1].epoch if self._entries else UNDEFINED

    def assign(self, epoch: int, start_offset: int, *, persist: bool = True) -> bool:
        """Record that ``epoch`` starts at ``start_offset``; True if the cache changed.

        A repeat of the latest epoch at a later offset is no change. Entries that would break
        monotonicity (epoch >= ``epoch`` or start >= ``start_offset``) are dropped first, as
        Kafka does when a new leader's history overrides ours.
        """
        if epoch < 0 or start_offset < 0:
            raise ValueError(f"invalid leader epoch entry ({epoch}, {start_offset})")
        last = self._entries[-1] if self._entries else None
        if last is not None and last.epoch == epoch and last.start_offset <= start_offset:
            return False
        self._entries = [
            e for e in self._entries if e.epoch < epoch and e.start_offset < start_offset
        ]
        self._entries.append(EpochEntry(epoch, start_offset))
        if persist:
            self.persist()
        return True

    def end_offset_for(self, requested_epoch: int, log_end_offset: int) -> tuple[int, int]:
        """(epoch, end offset) answering OffsetForLeaderEpoch for ``requested_epoch``.

        - the latest epoch: (it, log end offset);
        - an epoch we know nothing after (greater than the latest, or no entries, or -1):
          (-1, -1);
        - otherwise the largest known epoch <= the requested one, ending where the next known
          epoch starts; an epoch older than all entries answers (requested, first start).
        """
        if requested_epoch == UNDEFINED or not self._entries:
            return UNDEFINED, UNDEFINED
        if requested_epoch == self.latest_epoch:
            return requested_epoch, log_end_offset
        epochs = [e.epoch for e in self._entries]
        i = bisect_right(epochs, requested_epoch)  # entries[i] is the first greater epoch
        if i == len(self._entries):
            return UNDEFINED, UNDEFINED
        higher = self._entries[i]
        if i == 0:
            return requested_epoch, higher.start_offset
        return self._entries[i - 1].epoch, higher.start_offset

    def truncate_from_end(self, end_offset: int) -> None:
        """Drop epochs starting at or after ``end_offset`` (the log was truncated there)."""
        kept = [e for e in self._entries if e.start_offset < end_offset]
        if len(kept) != len(self._entries):
            self._entries = kept
            self.persist()

    def truncate_from_start(self, start_offset: int) -> None:
        """Forget history below a new log start offset; the epoch covering it now starts there."""
        below = [e for e in self._entries if e.start_offset <= start_offset]
        if not below or (len(below) == 1 and below[0].start_offset == start_offset):
            return
        covering = EpochEntry(below[-1].epoch, start_offset)
        self._entries = [covering] + [e for e in self._entries if e.start_offset > start_offset]
        self.persist()

    def clear(self) -> None:
        if self._entries:
            self._entries = []
            self.persist()

    def persist(self) -> None:
        lines = [str(VERSION), str(len(self._entries))]
        lines += [f"{e.epoch} {e.start_offset}" for e in self._entries]
        write_atomically(self.path, "\n".join(lines) + "\n")


def _parse(path: Path, text: str) -> list[EpochEntry]:
    lines = text.splitlines()
    try:
        if len(lines) < 2 or int(lines[0]) != VERSION:
            raise ValueError("bad version line")
        count = int(lines[1])
        if count != len(lines) - 2:
            raise ValueError(f"count {count} but {len(lines) - 2} entry lines")
        entries = []
        for line in lines[2:]:
            epoch_s, offset_s = line.split()
            entries.append(EpochEntry(int(epoch_s), int(offset_s)))
    except ValueError as e:
        raise CorruptEpochCheckpointError(f"{path}: {e}") from e
    for a, b in pairwise(entries):
        if b.epoch <= a.epoch or b.start_offset <= a.start_offset:
            raise CorruptEpochCheckpointError(f"{path}: entries are not increasing")
    if any(e.epoch < 0 or e.start_offset < 0 for e in entries):
        raise CorruptEpochCheckpointError(f"{path}: negative epoch or offset")
    return entries
