"""The hand-written Produce/Fetch length checks agree with the generic walker, never looser."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import struct
import tracemalloc
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kio.index import load_request_schema
from kio.serial import entity_writer
from kio.serial._introspect import get_field_tag

from broker.protocol import bounds, codec, fast_requests
from broker.protocol.apis import SERVED, ApiKey
from tests.protocol.kio_strategies import entities

FAST_APIS = (ApiKey.PRODUCE, ApiKey.FETCH)
VERSIONS = [(key, v) for key in FAST_APIS for v in range(SERVED[key].min, SERVED[key].max + 1)]
IDS = [f"{k.name}-v{v}" for k, v in VERSIONS]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def body_bytes(body: object) -> bytes:
    buf = io.BytesIO()
    entity_writer(type(body))(buf, body)
    return buf.getvalue()


def frame_of(key: int, version: int, body: object) -> tuple[bytes, int]:
    """(frame, position of the body) with a v1/v2 request header."""
    flexible = type(body).__flexible__
    head = struct.pack(">hhih", key, version, 3, 3) + b"cli" + (b"\x00" if flexible else b"")
    return head + body_bytes(body), len(head)


def sets_a_tagged_field(entity: object) -> bool:
    for f in dataclasses.fields(entity):  # type: ignore[arg-type]
        value = getattr(entity, f.name)
        if get_field_tag(f) is not None and value != f.default:
            return True
        items = value if isinstance(value, tuple) else (value,)
        if any(dataclasses.is_dataclass(v) and sets_a_tagged_field(v) for v in items):
            return True
    return False


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_valid_frames_pass_with_the_generic_end_and_decode_the_same(key, version, data):
    body = data.draw(entities(load_request_schema(key, version)))
    frame, pos = frame_of(key, version, body)
    end = fast_requests.checked_end(key, version, frame, pos)
    assert end == len(frame) or (end == -1 and sets_a_tagged_field(body))
    assert bounds.check(type(body), frame, pos) == len(frame)
    assert codec.decode_request(frame).body == body


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_frames_without_tagged_fields_take_the_fast_path(key, version, data):
    body = data.draw(entities(load_request_schema(key, version), tags=False))
    frame, pos = frame_of(key, version, body)
    assert fast_requests.checked_end(key, version, frame, pos) == len(frame)


PRODUCE_VERSIONS = [v for key, v in VERSIONS if key == ApiKey.PRODUCE]


@pytest.mark.parametrize("size", [100, 1 << 20])
def test_the_codec_views_the_records_of_large_produce_frames_only(size):
    module = __import__(load_request_schema(ApiKey.PRODUCE, 9).__module__, fromlist=["x"])
    records = b"r" * size
    body = module.ProduceRequest(
        transactional_id=None,
        acks=-1,
        timeout=timedelta(seconds=30),
        topic_data=(
            module.TopicProduceData(
                name="t", partition_data=(module.PartitionProduceData(index=0, records=records),)
            ),
        ),
    )
    frame, _pos = frame_of(ApiKey.PRODUCE, 9, body)
    decoded = codec.decode_request(bytearray(frame)).body
    assert decoded == body
    viewed = decoded.topic_data[0].partition_data[0].records
    assert isinstance(viewed, memoryview) == (len(frame) >= codec.VIEW_RECORDS_BYTES)


@pytest.mark.parametrize("version", PRODUCE_VERSIONS)
@SETTINGS
@given(data=st.data())
def test_a_produce_built_from_the_connections_frame_views_its_records(version, data):
    """Equal to kio's own decoding, with each partition's records writable views into the
    frame (the log stamps offsets there) rather than copies."""
    body = data.draw(entities(load_request_schema(ApiKey.PRODUCE, version), tags=False))
    frame, pos = frame_of(ApiKey.PRODUCE, version, body)
    owned = bytearray(frame)
    built = fast_requests.produce_request(owned, pos, version)
    assert built == body
    for topic in built.topic_data:
        for partition in topic.partition_data:
            if partition.records is not None:
                assert partition.records.obj is owned and not partition.records.readonly


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_truncated_frames_are_refused(key, version, data):
    body = data.draw(entities(load_request_schema(key, version)))
    frame, pos = frame_of(key, version, body)
    cut = data.draw(st.integers(pos, len(frame) - 1))
    assert fast_requests.checked_end(key, version, frame[:cut], pos) == -1
    with pytest.raises(codec.ProtocolError):
        codec.decode_request(frame[:cut])


@pytest.mark.parametrize(("key", "version"), VERSIONS, ids=IDS)
@SETTINGS
@given(data=st.data())
def test_corrupted_lengths_are_never_accepted_where_the_generic_walker_refuses(key, version, data):
    """Overwrite a few bytes with large values: the fast check accepts only what the generic
    walker accepts (with the same end), and decoding stays within a small memory bound."""
    body = data.draw(entities(load_request_schema(key, version)))
    frame, pos = frame_of(key, version, body)
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(pos, len(frame) - 1))
        mutated[at] = data.draw(st.sampled_from([0x7F, 0x80, 0xFF, 0x00, 0x01, 0x40]))
    mutated = bytes(mutated)
    end = fast_requests.checked_end(key, version, mutated, pos)
    if end >= 0:
        assert bounds.check(type(body), mutated, pos) == end
    tracemalloc.start()
    try:
        with contextlib.suppress(codec.ProtocolError):
            codec.decode_request(mutated)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * len(mutated) + 1024 * 1024


@pytest.mark.parametrize(
    "body",
    [
        # Produce v9: no transactional id, acks -1, timeout, one topic "t", one partition
        # whose records claim 2**28 bytes (a 4-byte compact length) in a 30-byte frame.
        b"\x00\xff\xff\x00\x00\x75\x30\x02\x02t\x02\x00\x00\x00\x00\x80\x80\x80\x80\x01",
        # Produce v9: INT32_MAX topics claimed.
        b"\x00\xff\xff\x00\x00\x75\x30\xff\xff\xff\xff\x07",
    ],
)
def test_absurd_produce_lengths_fail_without_allocating(body):
    frame = struct.pack(">hhih", ApiKey.PRODUCE, 9, 5, 3) + b"cli\x00" + body
    assert fast_requests.checked_end(ApiKey.PRODUCE, 9, frame, 12) == -1
    tracemalloc.start()
    try:
        with pytest.raises(codec.ProtocolError):
            codec.decode_request(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
