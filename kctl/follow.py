"""Follow a growing file like ``tail -F``: new complete lines, across rotation and truncation.

Only lines written after following starts are read. Rotation (the path now names a new
file) first drains the old file to its end, then reads the new one from its start;
truncation (the file shrank) restarts at offset 0. A line is emitted only once its newline
has been written, except the last line of a rotated-away file, which can no longer grow.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import watchfiles

from kctl.line_input import strip_terminator


class FileTail:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: BinaryIO | None = None
        self.partial = b""
        if path.exists():
            self.handle = open(path, "rb")  # noqa: SIM115 - held across polls, closed in close()
            self.handle.seek(0, os.SEEK_END)

    def close(self) -> None:
        if self.handle:
            self.handle.close()
            self.handle = None

    def _read_lines(self, final: bool = False) -> list[bytes]:
        assert self.handle is not None
        data = self.partial + self.handle.read()
        *lines, self.partial = data.split(b"\n")
        out = [strip_terminator(line + b"\n") for line in lines]
        if final and self.partial:
            out.append(self.partial)
            self.partial = b""
        return out

    def poll(self) -> list[bytes]:
        """Every complete line that appeared since the last poll."""
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            current = None  # rotated away, the new file not created yet
        if self.handle is None:
            if current is None:
                return []
            self.handle = open(self.path, "rb")  # noqa: SIM115
            return self._read_lines()
        mine = os.fstat(self.handle.fileno())
        out: list[bytes] = []
        if current is None or (current.st_ino, current.st_dev) != (mine.st_ino, mine.st_dev):
            out = self._read_lines(final=True)
            self.close()
            if current is not None:
                self.handle = open(self.path, "rb")  # noqa: SIM115
                out += self._read_lines()
            return out
        if mine.st_size < self.handle.tell():
            self.handle.seek(0)  # truncated in place: the old partial line is gone too
            self.partial = b""
        return self._read_lines()


def follow_lines(path: Path, stop: threading.Event | None = None) -> Iterator[list[bytes]]:
    """Yield batches of new lines until ``stop`` is set (Ctrl-C raises KeyboardInterrupt).

    Watches the parent directory, so a rotated or re-created file is seen; a periodic
    timeout poll covers file systems whose change events are unreliable.
    """
    tail = FileTail(path)
    try:
        yield tail.poll()
        for _changes in watchfiles.watch(
            path.parent,
            stop_event=stop,
            debounce=50,
            step=20,
            rust_timeout=500,
            yield_on_timeout=True,
            recursive=False,
        ):
            lines = tail.poll()
            if lines:
                yield lines
    finally:
        tail.close()
