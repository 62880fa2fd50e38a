from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.protocol.varint import VarintError, read_uvarint, write_uvarint


def encode(n: int) -> bytes:
    out = bytearray()
    write_uvarint(out, n)
    return bytes(out)


@given(st.integers(0, 2**32 - 1), st.binary(max_size=4))
def test_reads_every_uint32_and_stops_after_it(n, tail):
    data = encode(n) + tail
    assert read_uvarint(data, 0, len(data)) == (n, len(encode(n)))


def test_refuses_what_kafka_refuses():
    with pytest.raises(VarintError, match="longer than 5 bytes"):
        read_uvarint(b"\x80" * 5 + b"\x01", 0, 6)
    with pytest.raises(VarintError, match="runs past"):
        read_uvarint(b"\x80\x80", 0, 2)
    with pytest.raises(VarintError, match="runs past"):
        read_uvarint(b"\x80\x01", 0, 1)  # the end given, not the buffer's, bounds it
