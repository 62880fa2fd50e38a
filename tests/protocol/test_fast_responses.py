"""The hand-written Produce and Fetch response encoders write exactly what kio's writer does."""

from __future__ import annotations

import io
import struct
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.index import load_response_schema
from kio.schema.errors import ErrorCode
from kio.serial import entity_writer

from broker.protocol import codec, fast_responses
from broker.protocol.apis import SERVED, ApiKey
from broker.protocol.header import RequestHeader
from tests.protocol.kio_strategies import entities

FAST_APIS = (ApiKey.PRODUCE, ApiKey.FETCH)
VERSIONS = [(key, v) for key in FAST_APIS for v in range(SERVED[key].min, SERVED[key].max + 1)]


def kio_encoding(body: object) -> bytes:
    buf = io.BytesIO()
    entity_writer(type(body))(buf, body)
    return buf.getvalue()


def fast_encoding(body: object) -> bytes | None:
    out: bytearray = bytearray()
    detached: list = []
    if not fast_responses.encode(out, body, detached):
        return None
    for at, value in reversed(detached):
        out[at:at] = value
    return bytes(out)


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=[f"{k.name}-v{v}" for k, v in VERSIONS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_bytes_as_kio_for_every_served_version(key, version, data):
    body = data.draw(entities(load_response_schema(key, version)))
    fast = fast_encoding(body)
    if fast is not None:
        assert fast == kio_encoding(body)
    # Through the codec, with framing and header, the bytes are kio's either way.
    header = RequestHeader(key, version, 77, "c")
    framed = codec.encode_response(header, body)
    (size,) = struct.unpack_from(">i", framed)
    assert size == len(framed) - 4
    assert framed.endswith(kio_encoding(body))


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=[f"{k.name}-v{v}" for k, v in VERSIONS])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bodies_without_tagged_fields_take_the_fast_path(key, version, data):
    body = data.draw(entities(load_response_schema(key, version), tags=False))
    assert fast_encoding(body) == kio_encoding(body)


def test_the_bodies_handlers_send_take_the_fast_path():
    produce = load_response_schema(ApiKey.PRODUCE, 10)
    messages = __import__(produce.__module__, fromlist=["x"])
    part = messages.PartitionProduceResponse(
        index=0,
        error_code=ErrorCode.none,
        base_offset=42,
        log_start_offset=0,
        record_errors=(),
        error_message=None,
    )
    body = produce(
        responses=(messages.TopicProduceResponse(name="t", partition_responses=(part,)),),
        throttle_time=timedelta(0),
    )
    assert fast_encoding(body) == kio_encoding(body)


def test_a_non_default_tagged_field_is_left_to_kio():
    produce = load_response_schema(ApiKey.PRODUCE, 10)
    messages = __import__(produce.__module__, fromlist=["x"])
    endpoint = messages.NodeEndpoint(node_id=1, host="h", port=9092, rack=None)
    body = produce(responses=(), throttle_time=timedelta(0), node_endpoints=(endpoint,))
    assert fast_encoding(body) is None
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
        topic_id=__import__("uuid").uuid4(), partitions=(partition(0, large), partition(1, small))
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
