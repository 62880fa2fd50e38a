"""Big-endian fields of the internal topics' key and value records, as Apache Kafka writes them.

Strings are int16 length + UTF-8 (-1 = null), bytes int32 length + bytes, arrays int32 count.
Every read is bounded by the record, so a damaged record raises FormatError instead of
reading past its end or allocating without bound.
"""

from __future__ import annotations

import struct


class FormatError(ValueError):
    """A record of an internal topic that this layout cannot read."""


class Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def i8(self, v: int) -> Writer:
        self.out += struct.pack(">b", v)
        return self

    def i16(self, v: int) -> Writer:
        self.out += struct.pack(">h", v)
        return self

    def i32(self, v: int) -> Writer:
        self.out += struct.pack(">i", v)
        return self

    def i64(self, v: int) -> Writer:
        self.out += struct.pack(">q", v)
        return self

    def string(self, s: str | None) -> Writer:
        if s is None:
            return self.i16(-1)
        b = s.encode()
        self.i16(len(b))
        self.out += b
        return self

    def bytes_(self, b: bytes) -> Writer:
        self.i32(len(b))
        self.out += b
        return self

    def done(self) -> bytes:
        return bytes(self.out)


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _unpack(self, fmt: str, size: int) -> int:
        if self.pos + size > len(self.data):
            raise FormatError("record truncated")
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return v

    def i8(self) -> int:
        return self._unpack(">b", 1)

    def i16(self) -> int:
        return self._unpack(">h", 2)

    def i32(self) -> int:
        return self._unpack(">i", 4)

    def i64(self) -> int:
        return self._unpack(">q", 8)

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        return self._take(n).decode("utf-8")

    def required_string(self) -> str:
        s = self.string()
        if s is None:
            raise FormatError("null where a string is required")
        return s

    def bytes_(self) -> bytes:
        n = self.i32()
        if n < 0:
            return b""
        return self._take(n)

    def count(self, min_item_bytes: int = 1) -> int:
        """An array's element count (-1 = null), bounded by the bytes left."""
        n = self.i32()
        if n > (len(self.data) - self.pos) // max(min_item_bytes, 1):
            raise FormatError(f"absurd element count {n}")
        return n

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise FormatError("field runs past the record")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b
