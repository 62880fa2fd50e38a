"""The file under a segment index (offset or time): opened on first write, fsynced on
flush, closed with the segment. The index classes keep their entries in memory."""

from __future__ import annotations

import os
from pathlib import Path


class IndexFile:
    # index files open in this process: the broker's open-files budget counts those that
    # active segments have yet to open (broker/fd_limit.py)
    held = 0

    def __init__(self, path: Path, base_offset: int, max_bytes: int, entry_size: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.max_entries = max(1, max_bytes // entry_size)
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            IndexFile.held += 1
        return self._fd

    def flush(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            IndexFile.held -= 1
