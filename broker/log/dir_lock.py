"""The data directory's lock: one broker process per directory, as Kafka's ``.lock``.

Two brokers on one directory would recover, truncate and append to the same files, and the
one stopping last would leave a clean-stop marker over the other's writes. An flock is held
for the process's lifetime and dropped by the kernel when the process dies, so a broker
killed with -9 never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = ".lock"


class DirectoryInUse(OSError):
    """Another process holds the data directory."""


class DirLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DirectoryInUse(
                f"failed to lock {self.path}: another broker process is using {self.path.parent}"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
