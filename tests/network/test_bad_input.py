"""Bad input against the real broker: errors with codes, closed connections for broken
frames, and the broker keeps serving everyone else throughout."""

from __future__ import annotations

import contextlib
import datetime
import importlib
import os
import random
import struct

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.create_topics.v7.request import (
    CreatableTopic,
    CreatableTopicConfig,
    CreateTopicsRequest,
)
from kio.schema.errors import ErrorCode

from broker.protocol import records
from tests.wire import WireClient


def api_versions_ok(bootstrap: str) -> bool:
    with WireClient(bootstrap) as c:
        resp = c.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
        return resp.error_code == ErrorCode.none and len(resp.api_keys) > 5


def create(c: WireClient, name: str, configs: dict[str, str] | None = None, partitions: int = 1):
    topic = CreatableTopic(
        name=name,
        num_partitions=partitions,
        replication_factor=1,
        assignments=(),
        configs=tuple(CreatableTopicConfig(name=k, value=v) for k, v in (configs or {}).items()),
    )
    resp = c.request(
        CreateTopicsRequest(
            topics=(topic,), timeout=datetime.timedelta(seconds=5), validate_only=False
        )
    )
    return resp.topics[0]


def produce_request(topic: str, data: bytes, acks: int = -1, version: int = 9):
    module = importlib.import_module(f"kio.schema.produce.v{version}.request")
    return module.ProduceRequest(
        transactional_id=None,
        acks=acks,
        timeout=datetime.timedelta(seconds=5),
        topic_data=(
            module.TopicProduceData(
                name=topic, partition_data=(module.PartitionProduceData(index=0, records=data),)
            ),
        ),
    )


def produce(c: WireClient, topic: str, data: bytes, acks: int = -1, version: int = 9):
    return (
        c.request(produce_request(topic, data, acks, version)).responses[0].partition_responses[0]
    )


@pytest.mark.parametrize(
    "frame",
    [
        struct.pack(">i", -5),
        struct.pack(">i", 3) + b"abc",
        struct.pack(">i", 0x7FFFFFFF) + b"x" * 100,
        struct.pack(">i", 8) + struct.pack(">hhi", 999, 0, 1),  # unknown API key
        struct.pack(">i", 10) + struct.pack(">hhih", 3, 1, 1, 50),  # client id past the frame
    ],
)
def test_broken_frames_close_only_that_connection(shared_broker, frame):
    bystander = WireClient(shared_broker.bootstrap)
    with WireClient(shared_broker.bootstrap) as bad:
        bad.sock.sendall(frame)
        assert bad.is_closed_by_peer()
    # The other connection and new ones are still served.
    bystander.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
    bystander.close()
    assert api_versions_ok(shared_broker.bootstrap)
    assert "closing connection" in shared_broker.log()


def test_unsupported_api_versions_version_gets_v0_error_listing_its_range(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        c.send_raw(c.header(18, 99, flexible=False))
        frame = c.recv_frame()
    correlation, error, n, key, lo, hi = struct.unpack_from(">ihihhh", frame, 0)
    assert (correlation, error, n, key) == (c.correlation, 35, 1, 18)
    assert (lo, hi) == (0, 4)


def test_invalid_topic_names_and_configs_get_error_codes(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, "bad name!").error_code == ErrorCode.invalid_topic_exception
        assert create(c, "x" * 250).error_code == ErrorCode.invalid_topic_exception
        r = create(c, "ok-topic-cfg", {"cleanup.policy": "sometimes"})
        assert r.error_code == ErrorCode.invalid_config and r.error_message
        r = create(c, "ok-topic-cfg", {"no.such.config": "1"})
        assert r.error_code == ErrorCode.invalid_config
        r = create(c, "ok-topic-parts", partitions=0)
        assert r.error_code == ErrorCode.invalid_partitions


def test_corrupt_and_oversized_batches_are_refused_and_nothing_is_appended(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, "guarded", {"max.message.bytes": "2000"}).error_code == ErrorCode.none
        good = records.build_batch([(b"k", b"v")])
        corrupt = bytearray(good)
        corrupt[-1] ^= 0xFF
        assert produce(c, "guarded", bytes(corrupt)).error_code == ErrorCode.corrupt_message
        truncated = good[:-3]
        assert produce(c, "guarded", truncated).error_code == ErrorCode.corrupt_message
        big = records.build_batch([(b"k", os.urandom(5000))])
        assert produce(c, "guarded", big).error_code == ErrorCode.message_too_large
        # Kafka refuses more than one batch per partition from Produce v3 on
        two = produce(c, "guarded", good + good)
        assert two.error_code == ErrorCode.invalid_record and two.error_message
        ok = produce(c, "guarded", good)
        assert ok.error_code == ErrorCode.none and ok.base_offset == 0
        assert produce(c, "guarded", good).base_offset == 1


def test_random_garbage_never_takes_the_broker_down(shared_broker):
    rng = random.Random(1234)
    for _ in range(200):
        c = WireClient(shared_broker.bootstrap, timeout=5)
        try:
            body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
            key = rng.choice([0, 1, 2, 3, 18, 19, 32, rng.randint(-5, 200)])
            version = rng.randint(-1, 20)
            c.send_raw(struct.pack(">hhih", key, version, 1, 0) + body)
            with contextlib.suppress(OSError):  # an answer or a close are both fine
                c.recv_frame()
        finally:
            c.close()
    assert api_versions_ok(shared_broker.bootstrap)


@pytest.mark.parametrize("version", [3, 7, 8, 11])
def test_a_refused_record_gets_its_error_code_at_every_produce_version(shared_broker, version):
    topic = f"compacted-v{version}"
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, topic, {"cleanup.policy": "compact"}).error_code == ErrorCode.none
        keyless = records.build_batch([(None, b"v")])
        r = produce(c, topic, keyless, version=version)
        assert r.error_code == ErrorCode.invalid_record
        if version >= 8:  # KIP-467: which record, and why
            assert [e.batch_index for e in r.record_errors] == [0]
        # the connection is still open: the next request is answered
        assert (
            produce(c, topic, records.build_batch([(b"k", b"v")]), version=version).error_code == 0
        )


def test_a_failed_acks_0_produce_closes_its_connection(shared_broker):
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, "acks0-topic").error_code == ErrorCode.none
        batch = records.build_batch([(b"k", b"v")])
        c.send(produce_request("acks0-topic", batch, acks=0))
        # a good acks=0 produce gets no answer and leaves the connection open
        assert produce(c, "acks0-topic", batch).base_offset == 1
        # one that fails is answered by closing the connection, as Kafka does
        c.send(produce_request("acks0-topic", b"\x00" * 70, acks=0))
        assert c.is_closed_by_peer()
    assert "after an acks=0 produce that failed: acks0-topic-0: corrupt_message" in (
        shared_broker.log()
    )
    assert api_versions_ok(shared_broker.bootstrap)
