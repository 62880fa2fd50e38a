"""Produce and Fetch request bodies walked by hand, for speed.

Every request is walked before kio's native reader sees it (bounds.py says why). The generic
walker interprets kio's field plans step by step, 7-9 µs for a one-partition Produce or Fetch;
these follow the same layouts directly in about a fifth of that. They only ever *accept*: any
frame they are unsure of (a tagged field present, a null where the schema has none, a length
past the frame, an API they do not know) yields -1 and goes to the generic walker, which
gives the verdict and the error message. So a frame passes here only if the generic walker
would pass it too (tests/protocol/test_fast_requests.py checks both directions).

A Produce request is also *built* here, as the same kio objects the native reader makes but
with each partition's records a view into the frame rather than a copy: when the frame is
the connection's own bytearray (framing.py), the log stamps offsets into it in place and
writes it from there, so a batch's bytes are copied once between the socket and the file.
"""

from __future__ import annotations

import datetime
import importlib
import struct
from functools import cache

from broker.protocol.apis import ApiKey
from broker.protocol.varint import VarintError, read_uvarint

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_ACKS_TIMEOUT = struct.Struct(">hi")


class _Defer(Exception):
    """Leave this frame to the generic walker."""


def checked_end(api_key: int, version: int, buf: bytes, pos: int) -> int:
    """End of the request body at ``pos`` with every length inside ``buf``; -1 to defer."""
    try:
        if api_key == ApiKey.PRODUCE:
            return _produce(buf, pos, len(buf), version)[1]
        if api_key == ApiKey.FETCH:
            return _fetch(buf, pos, len(buf), version)
    except (_Defer, VarintError):
        pass
    return -1


# --- primitives: each returns the position after the item, or raises _Defer -----------------


def _length(buf: bytes, pos: int, end: int, flexible: bool, wide: bool) -> tuple[int, int]:
    """A string, bytes or array length: compact (n + 1) when flexible, else int16/int32."""
    if flexible:
        if pos < end and buf[pos] < 0x80:  # one byte: every length under 127
            return buf[pos] - 1, pos + 1
        n, pos = read_uvarint(buf, pos, end)
        return n - 1, pos
    size = 4 if wide else 2
    if pos + size > end:
        raise _Defer
    return (_I32 if wide else _I16).unpack_from(buf, pos)[0], pos + size


def _fixed(pos: int, size: int, end: int) -> int:
    pos += size
    if pos > end:
        raise _Defer
    return pos


def _string(buf: bytes, pos: int, end: int, flexible: bool, nullable: bool = False) -> int:
    n, pos = _length(buf, pos, end, flexible, wide=False)
    if n < 0:
        if n == -1 and nullable:
            return pos
        raise _Defer
    return _fixed(pos, n, end)


def _text(
    buf: bytes, pos: int, end: int, flexible: bool, nullable: bool = False, decode: bool = True
) -> tuple[str | None, int]:
    """A string's value (None unless ``decode``) and the position after it."""
    if not decode:
        return None, _string(buf, pos, end, flexible, nullable)
    n, start = _length(buf, pos, end, flexible, wide=False)
    pos = _string(buf, pos, end, flexible, nullable)
    if n < 0:
        return None, pos  # null (_string refused any other negative length)
    try:
        return str(buf[start:pos], "utf-8"), pos
    except UnicodeDecodeError:
        raise _Defer from None


def _nullable_bytes(buf: bytes, pos: int, end: int, flexible: bool) -> tuple[int, int]:
    """(size, position after) of a nullable bytes field; size -1 for null."""
    n, pos = _length(buf, pos, end, flexible, wide=True)
    if n < -1:
        raise _Defer
    return n, _fixed(pos, max(n, 0), end)


def _array(buf: bytes, pos: int, end: int, flexible: bool, item_size: int = 1) -> tuple[int, int]:
    """An array's element count, refused unless each element's minimum size fits."""
    n, pos = _length(buf, pos, end, flexible, wide=True)
    if n < 0 or n * item_size > end - pos:
        raise _Defer
    return n, pos


def _no_tags(buf: bytes, pos: int, end: int) -> int:
    if pos >= end or buf[pos] != 0:
        raise _Defer  # tagged fields present: the generic walker checks their contents
    return pos + 1


# --- Produce v3-11 (flexible from v9) --------------------------------------------------------


def produce_request(buf: bytes | bytearray, pos: int, version: int) -> object | None:
    """The Produce body at ``pos`` with records viewing ``buf``; None to defer."""
    try:
        return _produce(buf, pos, len(buf), version, build=True)[0]
    except (_Defer, VarintError):
        return None


@cache
def _produce_classes(version: int) -> tuple[type, type, type]:
    module = importlib.import_module(f"kio.schema.produce.v{version}.request")
    return module.ProduceRequest, module.TopicProduceData, module.PartitionProduceData


def _produce(
    buf: bytes, pos: int, end: int, version: int, build: bool = False
) -> tuple[object | None, int]:
    """Walk a Produce body to its end; with ``build``, also make the request's kio objects
    (only then: the walk alone is what every small Produce pays)."""
    flexible = version >= 9
    transactional_id, pos = _text(buf, pos, end, flexible, nullable=True, decode=build)
    acks_at, pos = pos, _fixed(pos, 6, end)  # acks int16, timeout int32
    topics, pos = _array(buf, pos, end, flexible)
    topic_data = []
    for _ in range(topics):
        name, pos = _text(buf, pos, end, flexible, decode=build)
        partitions, pos = _array(buf, pos, end, flexible)
        partition_data = []
        for _ in range(partitions):
            index_at, pos = pos, _fixed(pos, 4, end)
            size, pos = _nullable_bytes(buf, pos, end, flexible)  # records
            if build:
                partition_data.append((_I32.unpack_from(buf, index_at)[0], pos - size, size))
            if flexible:
                pos = _no_tags(buf, pos, end)
        topic_data.append((name, partition_data))
        if flexible:
            pos = _no_tags(buf, pos, end)
    if flexible:
        pos = _no_tags(buf, pos, end)
    if not build:
        return None, pos
    request_cls, topic_cls, partition_cls = _produce_classes(version)
    view = memoryview(buf)
    acks, timeout_ms = _ACKS_TIMEOUT.unpack_from(buf, acks_at)
    request = request_cls(
        transactional_id=transactional_id,
        acks=acks,
        timeout=datetime.timedelta(milliseconds=timeout_ms),
        topic_data=tuple(
            topic_cls(
                name=name,
                partition_data=tuple(
                    partition_cls(
                        index=index, records=view[start : start + size] if size >= 0 else None
                    )
                    for index, start, size in partitions
                ),
            )
            for name, partitions in topic_data
        ),
    )
    return request, pos


# --- Fetch v4-17 (flexible from v12, topic ids from v13, no replica_id from v15) -------------


def _fetch(buf: bytes, pos: int, end: int, version: int) -> int:
    flexible = version >= 12
    by_id = version >= 13
    # [replica_id int32 until v14] max_wait, min_bytes, max_bytes int32, isolation_level int8,
    # [session_id, session_epoch int32 from v7]
    pos = _fixed(pos, (4 if version <= 14 else 0) + 13 + (8 if version >= 7 else 0), end)
    # partition, [current_leader_epoch v9+], fetch_offset, [last_fetched_epoch v12+],
    # [log_start_offset v5+], partition_max_bytes
    partition_size = (
        4
        + (4 if version >= 9 else 0)
        + 8
        + (4 if version >= 12 else 0)
        + (8 if version >= 5 else 0)
        + 4
    )
    topics, pos = _array(buf, pos, end, flexible)
    for _ in range(topics):
        pos = _fixed(pos, 16, end) if by_id else _string(buf, pos, end, flexible)
        partitions, pos = _array(buf, pos, end, flexible)
        for _ in range(partitions):
            pos = _fixed(pos, partition_size, end)
            if flexible:
                pos = _no_tags(buf, pos, end)
        if flexible:
            pos = _no_tags(buf, pos, end)
    if version >= 7:
        forgotten, pos = _array(buf, pos, end, flexible)
        for _ in range(forgotten):
            pos = _fixed(pos, 16, end) if by_id else _string(buf, pos, end, flexible)
            n, pos = _array(buf, pos, end, flexible, item_size=4)
            pos = _fixed(pos, 4 * n, end)
            if flexible:
                pos = _no_tags(buf, pos, end)
    if version >= 11:
        pos = _string(buf, pos, end, flexible)  # rack_id
    if flexible:
        pos = _no_tags(buf, pos, end)
    return pos
