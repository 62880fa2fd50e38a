from __future__ import annotations

import contextlib
import io
import struct
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.serial import entity_writer

from broker.handlers import registry
from broker.protocol import codec
from broker.protocol.apis import SERVED, ApiKey
from broker.protocol.header import parse_request_header


def header_v1(api_key: int, version: int, correlation: int, client: bytes = b"cli") -> bytes:
    return struct.pack(">hhih", api_key, version, correlation, len(client)) + client


def test_every_served_api_has_a_handler_and_codecs_for_each_version():
    handlers = registry.load()
    for key, versions in SERVED.items():
        assert key in handlers, f"{key.name} is served but has no handler"
        for v in range(versions.min, versions.max + 1):
            codec._request_codec(key, v)
            codec.response_class(key, v)


def test_client_id_is_a_classic_string_in_header_v2():
    # Flexible requests keep an int16-length client id, followed by tagged fields.
    frame = header_v1(3, 12, 42, b"rdkafka") + b"\x00"
    header, pos = parse_request_header(frame, flexible=True)
    assert header.client_id == "rdkafka" and header.correlation_id == 42
    assert pos == len(frame)


def test_round_trip_of_a_metadata_request():
    from kio.schema.metadata.v12.request import MetadataRequest, MetadataRequestTopic

    body = MetadataRequest(
        topics=(MetadataRequestTopic(name="orders", topic_id=None),),
        allow_auto_topic_creation=False,
        include_topic_authorized_operations=False,
    )
    buf = io.BytesIO()
    entity_writer(MetadataRequest)(buf, body)
    request = codec.decode_request(header_v1(3, 12, 9) + b"\x00" + buf.getvalue())
    assert request.header.api_key == ApiKey.METADATA
    assert request.body.topics[0].name == "orders"


def test_unknown_api_and_version_are_unsupported():
    with pytest.raises(codec.UnsupportedVersion):
        codec.decode_request(header_v1(9999, 0, 1))
    with pytest.raises(codec.UnsupportedVersion):
        codec.decode_request(header_v1(ApiKey.METADATA, 99, 1))


@pytest.mark.parametrize(
    "body",
    [
        struct.pack(">i", 0x7FFFFFFF),  # Metadata v1 topics: INT32_MAX elements claimed
        struct.pack(">i", 1) + struct.pack(">h", 0x7FFF),  # a topic name longer than the frame
    ],
)
def test_absurd_lengths_fail_without_allocating(body):
    tracemalloc.start()
    try:
        with pytest.raises(codec.ProtocolError):
            codec.decode_request(header_v1(ApiKey.METADATA, 1, 5) + body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted((k, v) for k, r in SERVED.items() for v in range(r.min, r.max + 1))),
    st.binary(max_size=300),
)
def test_random_bodies_never_escape_as_other_exceptions(key_version, body):
    """Any body either parses or raises ProtocolError; nothing else reaches the connection."""
    key, version = key_version
    flexible = codec._request_codec(key, version)[2]
    frame = header_v1(key, version, 1) + (b"\x00" if flexible else b"") + body
    tracemalloc.start()
    try:
        with contextlib.suppress(codec.ProtocolError):
            codec.decode_request(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * len(frame) + 1024 * 1024


def test_a_huge_compact_length_inside_a_flexible_request_is_refused():
    # Found by fuzzing: kio's native reader aborted the process allocating 43 GB for it.
    frame = bytes.fromhex(
        "00200004000000010003636c6900f7a8afb31471d9ec3df8d961f0cde76e652ae85370209fe87c"
        "f5361e6e998868e81ea94b473f60bf8f01f5308770940507a0f99b3e"
    )
    with pytest.raises(codec.ProtocolError, match="exceeds"):
        codec.decode_request(frame)
