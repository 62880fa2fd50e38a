"""Kafka's unsigned varint (compact lengths, tagged-field counts, tags and sizes): read once
for every reader of request bytes (the header parser, the bounds walker and the fast checks),
written once for every writer (response encoders, record batches, coordinator records)."""

from __future__ import annotations


class VarintError(ValueError):
    """A varint that runs past its bytes or is longer than Kafka allows."""


def read_uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """The value at ``pos`` and the position after it; at most 5 bytes, as Kafka's
    ByteUtils.readUnsignedVarint reads them."""
    shift = value = 0
    while pos < end:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise VarintError("unsigned varint longer than 5 bytes")
    raise VarintError("varint runs past the frame")


def write_uvarint(out: bytearray, n: int) -> None:
    """Append ``n`` (>= 0) in 7-bit groups, low first, the high bit marking "more"."""
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
