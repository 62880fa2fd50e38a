"""Kafka's framing: each request and response is an int32 size followed by that many bytes.

Sans-I/O: feed bytes in, take whole frames out. A size below the minimum request header or
above the configured maximum is a broken frame: the caller closes the connection.

Each frame's bytes are copied once, into a bytearray of its own that the caller keeps: a
produce request's record batches are stamped with their offsets in place there and written
to the log from it, with no copy in between (protocol/fast_requests.produce_request). A
frame longer than one read grows as its bytes arrive, never ahead of them, so a client that
announces a huge frame and sends nothing costs nothing.
"""

from __future__ import annotations

import struct

_SIZE = struct.Struct(">i")
MIN_FRAME = 8  # api key, api version, correlation id: anything shorter cannot be a request


class FramingError(Exception):
    """The byte stream cannot be split into frames; the connection must be closed."""


class FrameDecoder:
    """Splits a byte stream into frames without holding more than one frame's bytes."""

    def __init__(self, max_frame: int, min_frame: int = MIN_FRAME) -> None:
        self.max_frame = max_frame
        self.min_frame = min_frame
        self._prefix = bytearray()  # up to 3 bytes of a size not yet complete
        self._frame: bytearray | None = None  # the frame being received, once its size is known
        self._missing = 0  # bytes the frame being received still lacks

    @property
    def buffered(self) -> int:
        return len(self._prefix) + (len(self._frame) if self._frame is not None else 0)

    def feed(self, data: bytes) -> list[bytearray]:
        """Add received bytes; return every complete frame (without its size prefix)."""
        frames: list[bytearray] = []
        view = memoryview(data)
        pos, end = 0, len(view)
        if self._frame is not None:
            pos = self._fill(view, 0, frames)
        if self._prefix and pos < end:
            need = 4 - len(self._prefix)
            self._prefix += view[pos : pos + need]
            pos = min(pos + need, end)
            if len(self._prefix) < 4:
                return frames
            self._frame, self._missing = bytearray(), self._checked(_SIZE.unpack(self._prefix)[0])
            self._prefix.clear()
            pos = self._fill(view, pos, frames)
        while end - pos >= 4:
            size = self._checked(_SIZE.unpack_from(view, pos)[0])
            pos += 4
            if end - pos >= size:
                frames.append(bytearray(view[pos : pos + size]))
                pos += size
            else:
                self._frame, self._missing = bytearray(), size
                pos = self._fill(view, pos, frames)
        if pos < end:
            self._prefix += view[pos:end]
        return frames

    def _checked(self, size: int) -> int:
        if size < self.min_frame or size > self.max_frame:
            raise FramingError(
                f"frame size {size} outside [{self.min_frame}, {self.max_frame}] "
                "(socket.request.max.bytes)"
            )
        return size

    def _fill(self, view: memoryview, pos: int, frames: list[bytearray]) -> int:
        """Add what ``view`` holds of the frame being received; return the position after."""
        frame = self._frame
        assert frame is not None
        take = min(self._missing, len(view) - pos)
        frame += view[pos : pos + take]
        self._missing -= take
        if self._missing == 0:
            frames.append(frame)
            self._frame = None
        return pos + take


def frame(payload: bytes | bytearray) -> bytes:
    return _SIZE.pack(len(payload)) + payload
