"""Kafka's framing: each request and response is an int32 size followed by that many bytes.

Sans-I/O: feed bytes in, take whole frames out. A size below the minimum request header or
above the configured maximum is a broken frame: the caller closes the connection.
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
        self._buf = bytearray()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every complete frame (without its size prefix)."""
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        pos = 0
        while len(buf) - pos >= 4:
            (size,) = _SIZE.unpack_from(buf, pos)
            if size < self.min_frame or size > self.max_frame:
                raise FramingError(
                    f"frame size {size} outside [{self.min_frame}, {self.max_frame}] "
                    "(socket.request.max.bytes)"
                )
            if len(buf) - pos - 4 < size:
                break
            frames.append(bytes(buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        if pos:
            del buf[:pos]
        return frames


def frame(payload: bytes | bytearray) -> bytes:
    return _SIZE.pack(len(payload)) + payload
