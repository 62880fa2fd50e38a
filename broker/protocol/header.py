"""Request and response headers, parsed by hand (they are tiny and on every request).

Request header v1: api_key int16, api_version int16, correlation_id int32, client_id
nullable string (int16 length). v2 (flexible requests) adds tagged fields after it; the
client_id stays a classic int16-length string even in v2. v0 (ControlledShutdown v0 only)
has no client_id. Response header v0 is the correlation id; v1 adds tagged fields, except
for ApiVersions whose response header is always v0.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from broker.protocol.varint import read_uvarint

_FIXED = struct.Struct(">hhi")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
API_VERSIONS_KEY = 18


class HeaderError(ValueError):
    """The request header is malformed: the frame cannot be answered."""


@dataclass(slots=True, frozen=True)
class RequestHeader:
    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None


def peek(frame: bytes) -> tuple[int, int, int]:
    """(api_key, api_version, correlation_id) of a frame of at least 8 bytes."""
    return _FIXED.unpack_from(frame, 0)


def parse_request_header(frame: bytes, flexible: bool) -> tuple[RequestHeader, int]:
    """Parse the header; return it and the position where the request body starts."""
    api_key, api_version, correlation_id = _FIXED.unpack_from(frame, 0)
    pos = 8
    if len(frame) < pos + 2:
        raise HeaderError("request header truncated before client_id")
    (n,) = _I16.unpack_from(frame, pos)
    pos += 2
    client_id: str | None = None
    if n >= 0:
        if pos + n > len(frame):
            raise HeaderError(f"client_id length {n} runs past the frame")
        client_id = frame[pos : pos + n].decode("utf-8", "replace")
        pos += n
    elif n != -1:
        raise HeaderError(f"invalid client_id length {n}")
    if flexible:
        if pos < len(frame) and frame[pos] == 0:
            pos += 1  # no tagged fields, as in nearly every request
        else:
            pos = skip_tagged_fields(frame, pos)
    return RequestHeader(api_key, api_version, correlation_id, client_id), pos


def skip_tagged_fields(buf: bytes, pos: int) -> int:
    count, pos = read_uvarint(buf, pos, len(buf))
    if count > len(buf) - pos:
        raise HeaderError(f"absurd tagged field count {count}")
    for _ in range(count):
        _, pos = read_uvarint(buf, pos, len(buf))
        size, pos = read_uvarint(buf, pos, len(buf))
        pos += size
        if pos > len(buf):
            raise HeaderError("tagged field runs past the frame")
    return pos


def response_header(correlation_id: int, api_key: int, flexible: bool) -> bytes:
    if flexible and api_key != API_VERSIONS_KEY:
        return _I32.pack(correlation_id) + b"\x00"
    return _I32.pack(correlation_id)
