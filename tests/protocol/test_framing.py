from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.protocol.framing import FrameDecoder, FramingError, frame


def test_frames_split_across_reads_are_reassembled():
    payloads = [b"a" * 8, b"b" * 20, b"c" * 9]
    stream = b"".join(frame(p) for p in payloads)
    decoder = FrameDecoder(1024)
    out = []
    for i in range(len(stream)):
        out += decoder.feed(stream[i : i + 1])
    assert out == payloads
    assert decoder.buffered == 0


@given(st.lists(st.binary(min_size=8, max_size=200), max_size=10), st.data())
def test_any_chunking_yields_the_same_frames(payloads, data):
    stream = b"".join(frame(p) for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    decoder = FrameDecoder(1024)
    out, prev = [], 0
    for c in [*cuts, len(stream)]:
        out += decoder.feed(stream[prev:c])
        prev = c
    assert out == payloads


@pytest.mark.parametrize("size", [-1, 0, 7, 1025, 0x7FFFFFFF])
def test_sizes_outside_bounds_are_framing_errors(size):
    decoder = FrameDecoder(1024)
    with pytest.raises(FramingError):
        decoder.feed(struct.pack(">i", size) + b"x" * 8)


def test_a_huge_claimed_frame_is_refused_before_buffering():
    decoder = FrameDecoder(100 * 1024 * 1024)
    with pytest.raises(FramingError):
        decoder.feed(struct.pack(">i", 200 * 1024 * 1024))


def test_frames_are_bytearrays_of_their_own():
    """The caller may stamp a frame in place (produce offsets): no two frames share bytes."""
    decoder = FrameDecoder(1024)
    first, second = decoder.feed(frame(b"a" * 8) + frame(b"b" * 8))
    assert isinstance(first, bytearray) and isinstance(second, bytearray)
    first[0:1] = b"x"
    assert second == b"b" * 8


def test_a_long_frame_grows_with_its_bytes_not_with_its_claimed_size():
    decoder = FrameDecoder(100 * 1024 * 1024)
    assert decoder.feed(struct.pack(">i", 50 * 1024 * 1024) + b"x" * 10) == []
    assert decoder.buffered == 10


def test_a_frame_spread_over_many_reads_comes_out_whole():
    payload = bytes(range(256)) * 1024
    stream = frame(payload) + frame(b"z" * 9)
    decoder = FrameDecoder(1024 * 1024)
    out = []
    for i in range(0, len(stream), 3000):
        out += decoder.feed(stream[i : i + 3000])
    assert out == [payload, b"z" * 9]
    assert decoder.buffered == 0
