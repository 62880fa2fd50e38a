"""Request decoding and response encoding: bytes in, typed kio messages out, and back.

kio generates one frozen dataclass per API, version and direction from Apache Kafka's JSON
message specs (the same ones as ../shared/kafka-protocol), with a native reader. Its readers
bound every length by the bytes present, so a frame claiming an INT32_MAX-element array fails
to parse instead of allocating (KAFKA-14063); tests/protocol/test_fuzz.py holds us to that.
Responses are written, as kio's writer would write them, by functions generated once per
class (compiled_writer.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from kio.index import load_request_schema, load_response_schema
from kio.serial import entity_reader

from broker.protocol import bounds, compiled_writer, fast_requests
from broker.protocol import header as hdr
from broker.protocol.apis import SERVED, ApiKey

Buffer = bytes | bytearray | memoryview

# A Produce frame from this size on is decoded with its records as views into it (no copy);
# below it kio's native reader is faster, copies included (7.5 against 12 µs for one record).
VIEW_RECORDS_BYTES = 32 * 1024


class ProtocolError(Exception):
    """A request that cannot be answered; the connection is closed with a log line."""


class UnsupportedVersion(ProtocolError):
    def __init__(self, header: hdr.RequestHeader) -> None:
        super().__init__(f"unsupported API {header.api_key} version {header.api_version}")
        self.header = header


@dataclass(slots=True)
class Request:
    header: hdr.RequestHeader
    body: Any
    size: int  # frame bytes, for metrics and quotas


@cache
def _request_codec(api_key: int, version: int) -> tuple[type, Callable[..., Any], bool]:
    cls = load_request_schema(api_key, version)
    return cls, entity_reader(cls), bool(cls.__flexible__)


@cache
def response_class(api_key: int, version: int) -> type:
    return load_response_schema(api_key, version)


def decode_request(frame: bytes | bytearray) -> Request:
    """Parse a frame (without its size prefix) into a Request.

    Raises UnsupportedVersion for an unknown API or version (the header is then known, so
    ApiVersions can still be answered), ProtocolError for anything else malformed.
    """
    api_key, version, correlation_id = hdr.peek(frame)
    served = SERVED.get(api_key)  # type: ignore[call-overload]
    if served is None or version not in served:
        header, _ = hdr.parse_request_header(frame, flexible=False)
        raise UnsupportedVersion(header)
    cls, reader, flexible = _request_codec(api_key, version)
    try:
        header, pos = hdr.parse_request_header(frame, flexible)
        body = None
        if api_key == ApiKey.PRODUCE and len(frame) >= VIEW_RECORDS_BYTES:
            body = fast_requests.produce_request(frame, pos, version)
        if body is None:
            if type(frame) is not bytes:
                frame = bytes(frame)  # kio's native reader takes only immutable bytes
            if fast_requests.checked_end(api_key, version, frame, pos) < 0:
                bounds.check(cls, frame, pos)  # every API but Produce and Fetch, and odd frames
            body, _size = reader(frame, pos)
    except (
        hdr.HeaderError,
        bounds.LengthError,
        ValueError,
        IndexError,
        OverflowError,
        UnicodeDecodeError,
    ) as e:
        raise ProtocolError(
            f"malformed {ApiKey(api_key).name} v{version} request "
            f"(correlation id {correlation_id}): {e}"
        ) from e
    except Exception as e:  # the native reader raises its own types; all mean "malformed"
        raise ProtocolError(
            f"malformed {ApiKey(api_key).name} v{version} request "
            f"(correlation id {correlation_id}): {type(e).__name__}: {e}"
        ) from e
    return Request(header, body, len(frame))


def response_buffers(header: hdr.RequestHeader, body: Any) -> list[Buffer]:
    """Serialize a response body with the header its request's version calls for, framed,
    as buffers to write in order (a Fetch response's large record sets are not copied)."""
    cls = type(body)
    head = hdr.response_header(header.correlation_id, header.api_key, cls.__flexible__)
    out = bytearray(4) + head
    detached: list[compiled_writer.Detached] = []
    compiled_writer.writer(cls)(out, body, detached)
    size = len(out) - 4 + sum(len(value) for _, value in detached)
    out[0:4] = size.to_bytes(4, "big")
    if not detached:
        return [out]
    view = memoryview(out)
    buffers: list[Buffer] = []
    start = 0
    for at, value in detached:
        buffers += (view[start:at], value)
        start = at
    buffers.append(view[start:])
    return buffers


def encode_response(header: hdr.RequestHeader, body: Any) -> bytes:
    """The framed response as one bytes object."""
    return b"".join(response_buffers(header, body))


def warm(api_key: int, version: int) -> None:
    """Load one version's generated classes and codecs now rather than on first use."""
    _request_codec(api_key, version)
    compiled_writer.writer(response_class(api_key, version))


# The versions librdkafka 2.x sends (its own maxima below ours; seen with debug=protocol on
# 2.16): with each API's newest (what the Java client picks) they are the ones worth loading
# at start. Older clients' versions load on first use, a few ms each.
LIBRDKAFKA_VERSIONS: dict[ApiKey, int] = {
    ApiKey.API_VERSIONS: 3,
    ApiKey.CREATE_TOPICS: 4,
    ApiKey.FETCH: 16,
    ApiKey.FIND_COORDINATOR: 2,
    ApiKey.HEARTBEAT: 3,
    ApiKey.JOIN_GROUP: 5,
    ApiKey.LEAVE_GROUP: 1,
    ApiKey.LIST_OFFSETS: 7,
    ApiKey.OFFSET_COMMIT: 9,
    ApiKey.OFFSET_FETCH: 9,
    ApiKey.PRODUCE: 10,
    ApiKey.SYNC_GROUP: 3,
}


def client_versions() -> list[tuple[int, int]]:
    """The served versions current clients ask for: each API's newest, and librdkafka's.

    Loading kio's classes costs ~7 ms of CPU per version; the newest four of every API
    (113 versions) took ~0.75 s, in the first seconds of serving, mostly for versions no
    client of ours sends.
    """
    out = [(key, r.max) for key, r in SERVED.items()]
    out += [
        (key, v)
        for key, v in LIBRDKAFKA_VERSIONS.items()
        if key in SERVED and v in SERVED[key] and v != SERVED[key].max
    ]
    return out
