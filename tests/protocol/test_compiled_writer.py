"""The generated response writers write exactly what kio's writer does, for every served
version of every API, tagged fields set or not; a fetch's large record sets are not copied."""

from __future__ import annotations

import io
import struct
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.index import load_response_schema
from kio.schema.errors import ErrorCode
from kio.serial import entity_writer

from broker.protocol import codec, compiled_writer
from broker.protocol.apis import SERVED, ApiKey
from broker.protocol.header import RequestHeader
from tests.protocol.kio_strategies import entities

VERSIONS = [(key, v) for key, served in SERVED.items() for v in range(served.min, served.max + 1)]


def kio_encoding(body: object) -> bytes:
    buf = io.BytesIO()
    entity_writer(type(body))(buf, body)
    return buf.getvalue()


def compiled_encoding(body: object) -> bytes:
    out = bytearray()
    detached: list = []
    compiled_writer.writer(type(body))(out, body, detached)
    for at, value in reversed(detached):
        out[at:at] = value
    return bytes(out)


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=[f"{k.name}-v{v}" for k, v in VERSIONS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_bytes_as_kio(key, version, data):
    body = data.draw(entities(load_response_schema(key, version), tags=data.draw(st.booleans())))
    assert compiled_encoding(body) == kio_encoding(body)
    # through the codec, framed with its header, the body is the same bytes
    framed = codec.encode_response(RequestHeader(key, version, 77, "c"), body)
    assert struct.unpack_from(">i", framed)[0] == len(framed) - 4
    assert framed.endswith(kio_encoding(body))


def test_a_non_default_tagged_field_is_left_to_kio():
    produce = load_response_schema(ApiKey.PRODUCE, 10)
    messages = __import__(produce.__module__, fromlist=["x"])
    endpoint = messages.NodeEndpoint(node_id=1, host="h", port=9092, rack=None)
    body = produce(responses=(), throttle_time=timedelta(0), node_endpoints=(endpoint,))
    framed = codec.encode_response(RequestHeader(ApiKey.PRODUCE, 10, 5, "c"), body)
    assert framed[4:] == struct.pack(">i", 5) + b"\x00" + kio_encoding(body)


def test_a_large_record_set_is_written_from_where_it_is():
    """A fetch's megabytes go to the transport as the buffer they were read into."""
    fetch = load_response_schema(ApiKey.FETCH, 16)
    messages = __import__(fetch.__module__, fromlist=["x"])
    small, large = b"s" * 100, memoryview(bytes(range(256)) * 1024)

    def partition(index: int, records: object) -> object:
        return messages.PartitionData(
            partition_index=index,
            error_code=ErrorCode.none,
            high_watermark=9,
            last_stable_offset=9,
            log_start_offset=0,
            aborted_transactions=None,
            preferred_read_replica=-1,
            records=records,
        )

    topic = messages.FetchableTopicResponse(
        topic_id=uuid.uuid4(), partitions=(partition(0, large), partition(1, small))
    )
    body = fetch(
        throttle_time=timedelta(0),
        error_code=ErrorCode.none,
        session_id=0,
        responses=(topic,),
        node_endpoints=(),
    )
    buffers = codec.response_buffers(RequestHeader(ApiKey.FETCH, 16, 5, "c"), body)
    assert any(b is large for b in buffers)
    assert not any(b is small for b in buffers)  # small ones are copied in
    framed = b"".join(buffers)
    assert struct.unpack_from(">i", framed)[0] == len(framed) - 4
    assert framed.endswith(kio_encoding(body))
