"""Record batches (magic v2): the header view, validation, stamping, and a builder/decoder.

The broker's hot path never decodes records: it validates the 61-byte batch header and the
CRC-32C, then stamps the base offset (and, for LogAppendTime topics, the max timestamp) in
place. Only tools, the metadata log, the cleaner, topics whose settings need the records
(a compression.type other than producer, timestamp bounds, compaction's keys) and batches
whose max timestamp the client left unset decode them.

On-disk and on-wire layout (big endian)::

    0  baseOffset int64          27 baseTimestamp int64
    8  batchLength int32         35 maxTimestamp int64
    12 partitionLeaderEpoch i32  43 producerId int64
    16 magic int8 (=2)           51 producerEpoch int16
    17 crc uint32                53 baseSequence int32
    21 attributes int16          57 recordsCount int32
    23 lastOffsetDelta int32     61 records...

The CRC covers attributes to the end of the batch, so the base offset and the partition
leader epoch may be rewritten without recomputing it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import crc32c

from broker.protocol.varint import write_uvarint

HEADER_SIZE = 61
LOG_OVERHEAD = 12  # baseOffset + batchLength: the bytes not counted by batchLength
MAGIC_V2 = 2
NO_PRODUCER_ID = -1
NO_SEQUENCE = -1

COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
TRANSACTIONAL_MASK = 0x10
CONTROL_MASK = 0x20
DELETE_HORIZON_MASK = 0x40

NONE, GZIP, SNAPPY, LZ4, ZSTD = range(5)
CODEC_NAMES = {NONE: "none", GZIP: "gzip", SNAPPY: "snappy", LZ4: "lz4", ZSTD: "zstd"}

_HEADER = struct.Struct(">qiibIhiqqqhii")
_CRC_START = 21
_OFFSET = struct.Struct(">q")
_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_U32 = struct.Struct(">I")
_I16 = struct.Struct(">h")


class CorruptRecordError(ValueError):
    """A batch breaks the v2 format: bad magic, length, CRC or record framing."""


@dataclass(slots=True)
class BatchHeader:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Bytes the whole batch occupies, header included."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK

    @property
    def log_append_time(self) -> bool:
        return bool(self.attributes & TIMESTAMP_TYPE_MASK)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_MASK)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_MASK)

    @property
    def last_sequence(self) -> int:
        if self.base_sequence < 0:
            return NO_SEQUENCE
        return (self.base_sequence + self.last_offset_delta) & 0x7FFFFFFF  # wraps at int32 max


def parse_header(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    """Read a batch header at ``pos``; raise CorruptRecordError if it cannot be one."""
    if len(buf) - pos < HEADER_SIZE:
        raise CorruptRecordError(f"batch header truncated: {len(buf) - pos} < {HEADER_SIZE} bytes")
    h = BatchHeader(*_HEADER.unpack_from(buf, pos))
    if h.magic != MAGIC_V2:
        raise CorruptRecordError(f"unsupported record batch magic {h.magic} (only v2 is served)")
    if h.batch_length < HEADER_SIZE - LOG_OVERHEAD:
        raise CorruptRecordError(f"batch length {h.batch_length} is shorter than a header")
    if h.last_offset_delta < 0 or h.records_count < 0:
        raise CorruptRecordError("negative record count or offset delta")
    return h


def crc_of(buf: bytes | bytearray | memoryview, pos: int, size: int) -> int:
    return crc32c.crc32c(memoryview(buf)[pos + _CRC_START : pos + size])


def validate_batch(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> None:
    """Check that the batch fits in ``buf`` and its CRC-32C matches."""
    if pos + header.size > len(buf):
        raise CorruptRecordError(
            f"batch at {pos} claims {header.size} bytes, only {len(buf) - pos} present"
        )
    actual = crc_of(buf, pos, header.size)
    if actual != header.crc:
        raise CorruptRecordError(
            f"CRC-32C mismatch: stored {header.crc:#010x}, computed {actual:#010x}"
        )


def iter_batches(buf: bytes | bytearray | memoryview) -> Iterator[tuple[int, BatchHeader]]:
    """Yield (position, header) of each whole batch in ``buf``, validating headers and sizes.

    CRCs are not checked here (see validate_batch); a trailing partial batch is an error.
    """
    pos, end = 0, len(buf)
    while pos < end:
        h = parse_header(buf, pos)
        if pos + h.size > end:
            raise CorruptRecordError(f"batch at {pos} is truncated ({end - pos} of {h.size} bytes)")
        yield pos, h
        pos += h.size


def uses_codec(buf: bytes | bytearray | memoryview, codec: int) -> bool:
    """Whether a batch in ``buf`` is compressed with ``codec``. Stops quietly at bytes that
    are not a batch: the append's validation reports those."""
    try:
        return any(h.compression == codec for _, h in iter_batches(buf))
    except CorruptRecordError:
        return False


def set_base_offset(buf: bytearray | memoryview, pos: int, base_offset: int) -> None:
    _OFFSET.pack_into(buf, pos, base_offset)


def set_partition_leader_epoch(buf: bytearray | memoryview, pos: int, epoch: int) -> None:
    _I32.pack_into(buf, pos + 12, epoch)


def set_log_append_time(
    buf: bytearray | memoryview, pos: int, header: BatchHeader, now_ms: int
) -> None:
    """Mark the batch LogAppendTime with ``now_ms`` as its max timestamp; recompute the CRC."""
    _set_timestamp_fields(buf, pos, header, header.attributes | TIMESTAMP_TYPE_MASK, now_ms)


def set_max_timestamp(
    buf: bytearray | memoryview, pos: int, header: BatchHeader, max_timestamp: int
) -> None:
    """Write the (CreateTime) batch's max timestamp; recompute the CRC."""
    _set_timestamp_fields(buf, pos, header, header.attributes, max_timestamp)


def _set_timestamp_fields(
    buf: bytearray | memoryview, pos: int, header: BatchHeader, attributes: int, max_ts: int
) -> None:
    _I16.pack_into(buf, pos + 21, attributes)
    _I64.pack_into(buf, pos + 35, max_ts)
    crc = crc_of(buf, pos, header.size)
    _U32.pack_into(buf, pos + 17, crc)
    header.attributes, header.max_timestamp, header.crc = attributes, max_ts, crc


# --- varints (zigzag), for building and decoding whole records -------------------------------


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def write_varint(out: bytearray, n: int) -> None:
    write_uvarint(out, _zigzag(n) & 0xFFFFFFFFFFFFFFFF)


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(buf):
            raise CorruptRecordError("varint runs past the end of the record data")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise CorruptRecordError("varint longer than 10 bytes")


@dataclass(slots=True)
class Record:
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


@dataclass(slots=True)
class Batch:
    header: BatchHeader
    records: list[Record]


def compress(codec: int, data: bytes, level: int | None = None) -> bytes:
    """``data`` compressed with ``codec``, at ``level`` (None: the codec's default)."""
    import cramjam

    if codec == NONE:
        return data
    if codec == GZIP:
        return bytes(cramjam.gzip.compress(data, level=level))
    if codec == SNAPPY:
        # The Java client reads snappy in xerial's framing; librdkafka reads both.
        return _xerial_frame(bytes(cramjam.snappy.compress_raw(data)))
    if codec == LZ4:
        return bytes(cramjam.lz4.compress(data, level=level))
    if codec == ZSTD:
        return bytes(cramjam.zstd.compress(data, level=level))
    raise CorruptRecordError(f"unknown compression codec {codec}")


# What a batch's records may take once decompressed. A few kilobytes of zstd can claim
# gigabytes (a decompression bomb), and produce-time checks and the cleaner decompress what
# producers sent. Clients build batches of about a megabyte before compression.
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024


def decompress(codec: int, data: bytes | memoryview) -> bytes:
    """``data`` decompressed; CorruptRecordError past MAX_DECOMPRESSED_BYTES or if corrupt."""
    import cramjam

    try:
        if codec == NONE:
            return bytes(data)
        if codec == GZIP:
            return _bounded(cramjam.gzip.decompress_into, bytes(data))
        if codec == SNAPPY:
            return _snappy_decompress(bytes(data))
        if codec == LZ4:
            return _bounded(cramjam.lz4.decompress_into, bytes(data))
        if codec == ZSTD:
            return _bounded(cramjam.zstd.decompress_into, bytes(data))
    except cramjam.DecompressionError as e:
        raise CorruptRecordError(f"{CODEC_NAMES[codec]} data does not decompress: {e}") from e
    raise CorruptRecordError(f"unknown compression codec {codec}")


def _bounded(decompress_into: Callable[[bytes, bytearray], int], data: bytes) -> bytes:
    """Decompress into buffers that grow (x4) up to the limit: the output is never larger."""
    import cramjam

    size = min(MAX_DECOMPRESSED_BYTES, max(64 * 1024, 8 * len(data)))
    while True:
        out = bytearray(size)
        try:
            n = decompress_into(data, out)
        except cramjam.DecompressionError as e:
            if "whole buffer" not in str(e):  # cramjam's words for "the output is full"
                raise
            if size == MAX_DECOMPRESSED_BYTES:
                raise _too_large() from e
            size = min(MAX_DECOMPRESSED_BYTES, size * 4)
            continue
        del out[n:]
        return bytes(out)


def _too_large() -> CorruptRecordError:
    return CorruptRecordError(f"records decompress to more than {MAX_DECOMPRESSED_BYTES} bytes")


_XERIAL_MAGIC = b"\x82SNAPPY\x00"


def _xerial_frame(raw: bytes) -> bytes:
    return _XERIAL_MAGIC + struct.pack(">ii", 1, 1) + struct.pack(">i", len(raw)) + raw


def _snappy_decompress(data: bytes) -> bytes:
    """Raw snappy or xerial's framing of it; each block's length is read before it is
    decompressed, so the limit holds without decompressing past it."""
    import cramjam

    def block(raw: bytes, budget: int) -> bytes:
        if cramjam.snappy.decompress_raw_len(raw) > budget:
            raise _too_large()
        return bytes(cramjam.snappy.decompress_raw(raw))

    if not data.startswith(_XERIAL_MAGIC):
        return block(data, MAX_DECOMPRESSED_BYTES)
    out, pos = bytearray(), 16
    while pos < len(data):
        (n,) = _I32.unpack_from(data, pos)
        pos += 4
        if n < 0 or pos + n > len(data):
            raise CorruptRecordError("xerial snappy block is truncated")
        out += block(data[pos : pos + n], MAX_DECOMPRESSED_BYTES - len(out))
        pos += n
    return bytes(out)


def decode_batch(buf: bytes | bytearray | memoryview, pos: int = 0) -> Batch:
    """Decode every record of the batch at ``pos`` (decompressing as needed)."""
    h = parse_header(buf, pos)
    validate_batch(buf, pos, h)
    return Batch(h, decode_records(h, batch_payload(buf, pos, h)))


def batch_payload(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> bytes:
    """The records of the (validated) batch at ``pos`` as encoded bytes, decompressed."""
    return decompress(header.compression, memoryview(buf)[pos + HEADER_SIZE : pos + header.size])


def decode_records(h: BatchHeader, payload: bytes) -> list[Record]:
    """The records of a batch with header ``h`` from its decompressed ``payload``."""
    records = []
    p = 0
    mv = memoryview(payload)
    for _ in range(h.records_count):
        length, p = read_varint(mv, p)
        end = p + length
        if length < 0 or end > len(mv):
            raise CorruptRecordError("record length runs past the batch")
        p += 1  # record attributes (unused)
        ts_delta, p = read_varint(mv, p)
        off_delta, p = read_varint(mv, p)
        key, p = _read_bytes(mv, p)
        value, p = _read_bytes(mv, p)
        n_headers, p = read_varint(mv, p)
        if n_headers < 0 or n_headers > end - p:
            raise CorruptRecordError("absurd header count")
        headers = []
        for _ in range(n_headers):
            hk, p = _read_bytes(mv, p)
            hv, p = _read_bytes(mv, p)
            headers.append(((hk or b"").decode("utf-8", "replace"), hv))
        if p != end:
            raise CorruptRecordError("record length does not match its fields")
        ts = h.max_timestamp if h.log_append_time else h.base_timestamp + ts_delta
        records.append(Record(h.base_offset + off_delta, ts, key, value, headers))
    return records


def record_stamps(h: BatchHeader, payload: bytes) -> list[tuple[int, bool]]:
    """(timestamp, has a key) of each record of a batch with header ``h``, from its
    decompressed ``payload``: what produce-time checks need, without copying keys, values or
    headers (a third of decode_records' cost)."""
    out = []
    p, n = 0, len(payload)
    log_append_time = h.log_append_time
    for _ in range(h.records_count):
        length, p = read_varint(payload, p)
        end = p + length
        if length < 0 or end > n:
            raise CorruptRecordError("record length runs past the batch")
        ts_delta, q = read_varint(payload, p + 1)  # after the record attributes
        _, q = read_varint(payload, q)  # offset delta
        key_length, q = read_varint(payload, q)
        if q > end:
            raise CorruptRecordError("record length does not match its fields")
        ts = h.max_timestamp if log_append_time else h.base_timestamp + ts_delta
        out.append((ts, key_length >= 0))
        p = end
    return out


def _read_bytes(mv: memoryview, p: int) -> tuple[bytes | None, int]:
    n, p = read_varint(mv, p)
    if n < 0:
        return None, p
    if p + n > len(mv):
        raise CorruptRecordError("field length runs past the record")
    return bytes(mv[p : p + n]), p + n


def recompress_batch(
    buf: bytes | bytearray | memoryview,
    pos: int,
    header: BatchHeader,
    codec: int,
    payload: bytes | None = None,
    level: int | None = None,
) -> bytearray:
    """The batch at ``pos`` with its records compressed with ``codec`` (at ``level``) instead.

    The record bytes are kept as they are (keys, values, headers, offset and timestamp
    deltas), and so is every header field but the codec bits of the attributes, the batch
    length and the CRC-32C. ``payload`` is the batch's decompressed records if the caller
    already has them.
    """
    if payload is None:
        payload = batch_payload(buf, pos, header)
    out = bytearray(memoryview(buf)[pos : pos + HEADER_SIZE])
    out += compress(codec, payload, level)
    _I32.pack_into(out, 8, len(out) - LOG_OVERHEAD)
    _I16.pack_into(out, 21, (header.attributes & ~COMPRESSION_MASK) | codec)
    _U32.pack_into(out, 17, crc_of(out, 0, len(out)))
    return out


def decode_batches(buf: bytes | bytearray | memoryview) -> Iterator[Batch]:
    for pos, _ in iter_batches(buf):
        yield decode_batch(buf, pos)


def build_batch(
    records: Sequence[Record] | Sequence[tuple[bytes | None, bytes | None]],
    *,
    base_offset: int = 0,
    timestamp_ms: int | None = None,
    compression: int = NONE,
    producer_id: int = NO_PRODUCER_ID,
    producer_epoch: int = -1,
    base_sequence: int = NO_SEQUENCE,
    partition_leader_epoch: int = -1,
    transactional: bool = False,
    control: bool = False,
    log_append_time: bool = False,
) -> bytes:
    """Encode records as one v2 batch. Tuples are (key, value) with offsets 0.. and one timestamp.

    Record objects keep their offsets (relative to ``base_offset``, so gaps survive) and
    timestamps: what the compaction cleaner needs to rewrite a batch.
    """
    import time

    now = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    recs = [
        r if isinstance(r, Record) else Record(base_offset + i, now, r[0], r[1])
        for i, r in enumerate(records)
    ]
    if not recs:
        raise ValueError("a batch holds at least one record")
    base_ts = min(r.timestamp for r in recs)
    max_ts = max(r.timestamp for r in recs)
    body = bytearray()
    for r in recs:
        rec = bytearray(b"\x00")
        write_varint(rec, r.timestamp - base_ts)
        write_varint(rec, r.offset - base_offset)
        _write_bytes(rec, r.key)
        _write_bytes(rec, r.value)
        write_varint(rec, len(r.headers))
        for hk, hv in r.headers:
            _write_bytes(rec, hk.encode())
            _write_bytes(rec, hv)
        write_varint(body, len(rec))
        body += rec
    payload = compress(compression, bytes(body))
    attributes = compression
    if log_append_time:
        attributes |= TIMESTAMP_TYPE_MASK
    if transactional:
        attributes |= TRANSACTIONAL_MASK
    if control:
        attributes |= CONTROL_MASK
    last_delta = recs[-1].offset - base_offset
    batch_length = HEADER_SIZE - LOG_OVERHEAD + len(payload)
    out = bytearray(
        _HEADER.pack(
            base_offset,
            batch_length,
            partition_leader_epoch,
            MAGIC_V2,
            0,
            attributes,
            last_delta,
            base_ts,
            max_ts,
            producer_id,
            producer_epoch,
            base_sequence,
            len(recs),
        )
    )
    out += payload
    _U32.pack_into(out, 17, crc_of(out, 0, len(out)))
    return bytes(out)


def _write_bytes(out: bytearray, b: bytes | None) -> None:
    if b is None:
        write_varint(out, -1)
    else:
        write_varint(out, len(b))
        out += b
