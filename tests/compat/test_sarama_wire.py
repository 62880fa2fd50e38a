"""What Debian's sarama 1.22 (Go) sends, replayed with WireClient: CI has no Go toolchain.

sarama leaves a batch's max timestamp at -1 (Kafka sets it from the records), produces zstd
at Produce v3 and fetches at v4, which Kafka answers UNSUPPORTED_COMPRESSION_TYPE (KIP-110:
zstd needs Produce v7 and, on a topic whose compression.type is zstd, Fetch v10).
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import struct
import time

import pytest
from kio.schema.errors import ErrorCode
from kio.schema.list_offsets.v1.request import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)

from broker.protocol import records
from tests.network.test_bad_input import create, produce
from tests.wire import WireClient


def without_max_timestamp(data: bytes) -> bytes:
    """``data`` (one batch) with max timestamp -1 and a CRC to match, as sarama sends it."""
    buf = bytearray(data)
    struct.pack_into(">q", buf, 35, -1)
    struct.pack_into(">I", buf, 17, records.crc_of(buf, 0, len(buf)))
    return bytes(buf)


def offset_for_time(c: WireClient, topic: str, timestamp: int) -> int:
    """ListOffsets v1 (sarama's GetOffset) for partition 0."""
    query = ListOffsetsPartition(partition_index=0, timestamp=timestamp)
    resp = c.request(
        ListOffsetsRequest(
            replica_id=-1, topics=(ListOffsetsTopic(name=topic, partitions=(query,)),)
        )
    )
    part = resp.topics[0].partitions[0]
    assert part.error_code == ErrorCode.none
    return part.offset


def fetch(c: WireClient, topic: str, version: int):
    """Partition 0 from offset 0 at Fetch ``version``, whatever fields that version has."""
    module = importlib.import_module(f"kio.schema.fetch.v{version}.request")
    values = {
        "replica_id": -1,
        "max_wait": datetime.timedelta(milliseconds=0),
        "min_bytes": 0,
        "max_bytes": 1 << 20,
        "isolation_level": 0,
        "session_id": 0,
        "session_epoch": -1,
        "forgotten_topics_data": (),
        "partition": 0,
        "current_leader_epoch": -1,
        "fetch_offset": 0,
        "log_start_offset": -1,
        "partition_max_bytes": 1 << 20,
    }

    def build(cls, **given):
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names}, **given)

    part = build(module.FetchPartition)
    request = build(
        module.FetchRequest, topics=(build(module.FetchTopic, topic=topic, partitions=(part,)),)
    )
    return c.request(request).responses[0].partitions[0]


def test_a_batch_without_its_max_timestamp_is_found_by_time(shared_broker):
    t0 = int(time.time() * 1000) - 600_000
    stamps = [t0, t0 + 1000, t0 + 500]
    batch = records.build_batch(
        [records.Record(i, ts, b"k", b"v%d" % i) for i, ts in enumerate(stamps)]
    )
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, "sarama-no-max-timestamp").error_code == 0
        sent = produce(c, "sarama-no-max-timestamp", without_max_timestamp(batch), version=3)
        assert sent.error_code == ErrorCode.none
        assert offset_for_time(c, "sarama-no-max-timestamp", t0 - 3_600_000) == 0
        assert offset_for_time(c, "sarama-no-max-timestamp", t0 + 700) == 1
        assert offset_for_time(c, "sarama-no-max-timestamp", t0 + 2000) == -1
        stored = records.parse_header(fetch(c, "sarama-no-max-timestamp", 4).records)
    assert stored.max_timestamp == t0 + 1000


@pytest.mark.parametrize("version", [3, 6])
def test_zstd_before_produce_v7_is_refused(shared_broker, version):
    topic = f"sarama-zstd-v{version}"
    zstd = records.build_batch([(b"k", b"v" * 100)], compression=records.ZSTD)
    gzip = records.build_batch([(b"k", b"v" * 100)], compression=records.GZIP)
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, topic).error_code == 0
        refused = produce(c, topic, zstd, version=version)
        assert refused.error_code == ErrorCode.unsupported_compression_type
        assert produce(c, topic, gzip, version=version).error_code == ErrorCode.none
        assert produce(c, topic, zstd, version=7).error_code == ErrorCode.none
        assert fetch(c, topic, 10).high_watermark == 2  # the gzip batch and the v7 zstd one


def test_a_zstd_topic_refuses_fetches_before_v10(shared_broker):
    plain = records.build_batch([(b"k", b"v" * 100)])
    with WireClient(shared_broker.bootstrap) as c:
        assert create(c, "sarama-zstd-topic", {"compression.type": "zstd"}).error_code == 0
        assert produce(c, "sarama-zstd-topic", plain).error_code == ErrorCode.none
        old = fetch(c, "sarama-zstd-topic", 4)
        assert old.error_code == ErrorCode.unsupported_compression_type
        assert old.high_watermark == -1 and not old.records
        assert fetch(c, "sarama-zstd-topic", 9).error_code == ErrorCode.unsupported_compression_type
        new = fetch(c, "sarama-zstd-topic", 10)
        assert new.error_code == ErrorCode.none
        assert records.parse_header(new.records).compression == records.ZSTD

        # As in Kafka, only the topic's setting counts: a producer's own zstd batch in a
        # compression.type=producer topic is served to any version.
        assert create(c, "sarama-producer-zstd").error_code == 0
        zstd = records.build_batch([(b"k", b"v" * 100)], compression=records.ZSTD)
        assert produce(c, "sarama-producer-zstd", zstd, version=7).error_code == ErrorCode.none
        served = fetch(c, "sarama-producer-zstd", 4)
        assert served.error_code == ErrorCode.none
        assert records.parse_header(served.records).compression == records.ZSTD
