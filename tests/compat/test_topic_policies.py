"""Topic settings enforced on produce, with confluent-kafka against the real broker process:
compression.type re-encodes stored batches, timestamp bounds (KIP-937) refuse records with
INVALID_TIMESTAMP (32), and compacted topics refuse keyless records with INVALID_RECORD (87).

What the broker stored is read from the partition's segment files; what a consumer gets back
is compared field by field with what was sent.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)
from kio.schema.errors import ErrorCode

from broker.partition.record_policy import TOPIC_CODECS
from broker.protocol import records
from tests.harness import BrokerProcess, wait_for
from tests.network.test_bad_input import produce as wire_produce
from tests.wire import WireClient

CODEC_IDS = {"none": records.NONE, **TOPIC_CODECS}  # producer's names, then the topic's
HOUR_MS = 3_600_000
INVALID_TIMESTAMP, INVALID_RECORD = 32, 87

Sent = tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int]


def create(bs: str, topic: str, config: dict[str, str] | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, 1, 1, config=config or {})])[topic].result(15)


def sample(n: int = 30) -> list[Sent]:
    """Records with compressible values, null keys and values, headers (one null), and
    timestamps out of order within a batch."""
    base = int(time.time() * 1000) - 10_000
    out = []
    for i in range(n):
        key = None if i % 5 == 0 else b"\x00key-%d\xff" % i
        value = None if i == n - 1 else b"value-%d-" % i + b"abc" * 40
        headers = [("h", b"%d" % i), ("empty", None)] if i % 3 == 0 else []
        out.append((key, value, headers, base + (i * 7919) % 5000))
    return out


def send(bs: str, topic: str, msgs: list[Sent], **conf) -> list[int | None]:
    """Produce to partition 0 and flush; each message's error code (None when stored)."""
    p = Producer({"bootstrap.servers": bs, "linger.ms": 20, "message.timeout.ms": 10_000, **conf})
    codes: list[int | None] = [None] * len(msgs)

    def report(i: int):
        def done(err, _msg) -> None:
            codes[i] = err.code() if err is not None else None

        return done

    for i, (key, value, headers, ts) in enumerate(msgs):
        p.produce(
            topic, value, key, 0, on_delivery=report(i), timestamp=ts, headers=headers or None
        )
    assert p.flush(15) == 0
    return codes


def consume(bs: str, topic: str, n: int) -> list[Sent]:
    c = Consumer({"bootstrap.servers": bs, "group.id": "reader", "check.crcs": True})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got: list[Sent] = []

        def read_all() -> bool:
            msg = c.poll(0.5)
            if msg is not None:
                assert msg.error() is None, msg.error()
                headers = msg.headers() or []
                got.append((msg.key(), msg.value(), list(headers), msg.timestamp()[1]))
            return len(got) >= n

        wait_for(read_all, 20, interval=0, what=f"{n} records from {topic}")
        return got
    finally:
        c.close()


def stored_batches(broker: BrokerProcess, topic: str) -> list[records.BatchHeader]:
    """Every batch of the partition's segment files, CRC-checked, in offset order."""
    out = []
    for segment in sorted(Path(broker.data_dir, f"{topic}-0").glob("*.log")):
        data = segment.read_bytes()
        for pos, h in records.iter_batches(data):
            records.validate_batch(data, pos, h)
            out.append(h)
    return out


def assert_contiguous(batches: list[records.BatchHeader], n: int) -> None:
    assert batches[0].base_offset == 0
    for a, b in itertools.pairwise(batches):
        assert b.base_offset == a.next_offset
    assert batches[-1].next_offset == n


# --- compression.type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic_codec", "producer_codec"),
    [
        ("gzip", "none"),
        ("zstd", "none"),
        ("snappy", "none"),
        ("lz4", "gzip"),
        ("uncompressed", "lz4"),
        ("uncompressed", "zstd"),
    ],
)
def test_batches_are_stored_in_the_topic_codec(shared_broker, topic_codec, producer_codec):
    bs = shared_broker.bootstrap
    topic = f"codec-{topic_codec}-from-{producer_codec}"
    create(bs, topic, {"compression.type": topic_codec})
    sent = sample()
    assert send(bs, topic, sent, **{"compression.type": producer_codec}) == [None] * len(sent)

    batches = stored_batches(shared_broker, topic)
    assert {h.compression for h in batches} == {CODEC_IDS[topic_codec]}
    assert_contiguous(batches, len(sent))
    assert consume(bs, topic, len(sent)) == sent


def test_producer_keeps_each_batch_as_sent_and_a_change_applies_to_new_batches(shared_broker):
    bs = shared_broker.bootstrap
    topic = "codec-producer-then-zstd"
    create(bs, topic)
    first, second = sample(10), sample(10)
    send(bs, topic, first, **{"compression.type": "gzip"})
    admin = AdminClient({"bootstrap.servers": bs})  # kept until the future is done
    zstd = ConfigEntry("compression.type", "zstd", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource("TOPIC", topic, incremental_configs=[zstd])
    admin.incremental_alter_configs([resource])[resource].result(15)
    send(bs, topic, second, **{"compression.type": "gzip"})

    batches = stored_batches(shared_broker, topic)
    assert_contiguous(batches, 20)
    before = {h.compression for h in batches if h.base_offset < 10}
    after = {h.compression for h in batches if h.base_offset >= 10}
    # librdkafka sends a batch uncompressed when gzip would make it larger (a lone small
    # record that lingered into a batch of its own): stored as sent too.
    assert records.GZIP in before and before <= {records.GZIP, records.NONE}
    assert after == {records.ZSTD}
    assert consume(bs, topic, 20) == first + second


def test_the_topic_compression_level_is_applied_and_described(shared_broker):
    bs = shared_broker.bootstrap
    sent = sample(200)
    size = {}
    for level in ("1", "19"):
        topic = f"zstd-level-{level}"
        create(bs, topic, {"compression.type": "zstd", "compression.zstd.level": level})
        send(bs, topic, sent)
        assert consume(bs, topic, 200) == sent
        size[level] = sum(h.size for h in stored_batches(shared_broker, topic))
    assert size["19"] < size["1"]
    admin = AdminClient({"bootstrap.servers": bs})
    resource = ConfigResource("TOPIC", "zstd-level-19")
    described = admin.describe_configs([resource])[resource].result(15)
    assert described["compression.zstd.level"].value == "19"
    assert described["compression.gzip.level"].value == "-1"  # the default, reported too


def test_the_broker_default_compression_type_applies_to_topics_without_one(broker_factory):
    b = broker_factory("--set", "compression.type=gzip")
    create(b.bootstrap, "default-codec")
    create(b.bootstrap, "own-codec", {"compression.type": "producer"})
    sent = sample(10)
    for topic in ("default-codec", "own-codec"):
        send(b.bootstrap, topic, sent, **{"compression.type": "lz4"})
    assert {h.compression for h in stored_batches(b, "default-codec")} == {records.GZIP}
    assert {h.compression for h in stored_batches(b, "own-codec")} == {records.LZ4}

    # a dynamic per-broker value (node 1) applies from the next batch on
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    zstd = ConfigEntry("compression.type", "zstd", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource("BROKER", "1", incremental_configs=[zstd])
    admin.incremental_alter_configs([resource])[resource].result(15)
    send(b.bootstrap, "default-codec", sent, **{"compression.type": "lz4"})
    codecs = [h.compression for h in stored_batches(b, "default-codec")]
    assert set(codecs) == {records.GZIP, records.ZSTD} and codecs[-1] == records.ZSTD
    assert consume(b.bootstrap, "default-codec", 2 * len(sent)) == sent + sent


def test_idempotent_producer_sequences_hold_across_reencoding(shared_broker):
    bs = shared_broker.bootstrap
    topic = "codec-idempotent"
    create(bs, topic, {"compression.type": "zstd"})
    sent = sample(200)
    conf = {"enable.idempotence": True, "batch.num.messages": 7, "compression.type": "none"}
    assert send(bs, topic, sent, **conf) == [None] * len(sent)
    batches = stored_batches(shared_broker, topic)
    assert len(batches) > 1 and {h.compression for h in batches} == {records.ZSTD}
    producer_ids = {h.producer_id for h in batches}
    assert len(producer_ids) == 1 and producer_ids.pop() >= 0
    sequences = [(h.base_sequence, h.base_offset) for h in batches]
    assert sequences == [(h.base_offset, h.base_offset) for h in batches]  # one session
    assert consume(bs, topic, len(sent)) == sent


# --- message.timestamp.before.max.ms / after.max.ms -------------------------------------------


def at(ts: int, key: bytes = b"k") -> list[Sent]:
    return [(key, b"v", [], ts)]


def test_timestamps_outside_the_bounds_are_refused_with_invalid_timestamp(shared_broker):
    bs = shared_broker.bootstrap
    topic = "bounded-timestamps"
    bounds = {"before": str(HOUR_MS), "after": "60000"}
    create(bs, topic, {f"message.timestamp.{k}.max.ms": v for k, v in bounds.items()})
    now = int(time.time() * 1000)
    assert send(bs, topic, at(now - 2 * HOUR_MS)) == [INVALID_TIMESTAMP]
    assert send(bs, topic, at(now + 10 * 60_000)) == [INVALID_TIMESTAMP]
    assert send(bs, topic, at(now - HOUR_MS // 2)) == [None]
    assert send(bs, topic, at(now + 1_000, b"k2")) == [None]
    assert send(bs, topic, at(now - 2 * HOUR_MS), **{"compression.type": "gzip"}) == [
        INVALID_TIMESTAMP
    ]
    got = consume(bs, topic, 2)
    assert [(k, ts) for k, _, _, ts in got] == [(b"k", now - HOUR_MS // 2), (b"k2", now + 1_000)]

    # the partition's error message says which bound and by how much
    with WireClient(bs) as c:
        old = records.build_batch([(b"k", b"v")], timestamp_ms=now - 2 * HOUR_MS)
        resp = wire_produce(c, topic, old)
    assert resp.error_code == ErrorCode.invalid_timestamp
    assert f"message.timestamp.before.max.ms {HOUR_MS}" in resp.error_message
    # and names the record (KIP-467)
    assert [(e.batch_index, e.batch_index_error_message) for e in resp.record_errors] == [
        (0, resp.error_message)
    ]


def test_log_append_time_topics_ignore_the_bounds(shared_broker):
    bs = shared_broker.bootstrap
    topic = "bounded-log-append-time"
    create(
        bs,
        topic,
        {"message.timestamp.type": "LogAppendTime", "message.timestamp.before.max.ms": "1000"},
    )
    before = int(time.time() * 1000)
    assert send(bs, topic, at(before - 2 * HOUR_MS)) == [None]
    [(_, _, _, stored_ts)] = consume(bs, topic, 1)
    assert stored_ts >= before


# --- keys on compacted topics -----------------------------------------------------------------


def test_compacted_topics_refuse_records_without_a_key(shared_broker):
    bs = shared_broker.bootstrap
    topic = "compacted-keys"
    create(bs, topic, {"cleanup.policy": "compact"})
    now = int(time.time() * 1000)
    assert send(bs, topic, [(b"a", b"1", [], now), (b"b", None, [], now)]) == [None, None]
    assert send(bs, topic, [(None, b"2", [], now)]) == [INVALID_RECORD]
    # compressed batches are looked into as well
    keyless = [(None, b"3" * 100, [], now)]
    assert send(bs, topic, keyless, **{"compression.type": "zstd"}) == [INVALID_RECORD]
    assert send(bs, topic, at(now, b"c"), **{"compression.type": "zstd"}) == [None]
    assert [(k, v) for k, v, _, _ in consume(bs, topic, 3)] == [
        (b"a", b"1"),
        (b"b", None),
        (b"c", b"v"),
    ]

    with WireClient(bs) as c:
        resp = wire_produce(c, topic, records.build_batch([(b"d", b"4"), (None, b"5")]))
    assert resp.error_code == ErrorCode.invalid_record
    assert "Compacted topic cannot accept message without key" in resp.error_message
    assert [(e.batch_index, e.batch_index_error_message) for e in resp.record_errors] == [
        (1, resp.error_message)
    ]
    assert sum(h.records_count for h in stored_batches(shared_broker, topic)) == 3


def test_a_decompression_bomb_is_refused_and_the_broker_carries_on(shared_broker):
    """Two kilobytes of zstd claiming more than the limit: CORRUPT_MESSAGE, nothing stored."""
    bs = shared_broker.bootstrap
    topic = "compacted-bomb"
    create(bs, topic, {"cleanup.policy": "compact"})
    bomb = records.build_batch(
        [(b"k", bytes(records.MAX_DECOMPRESSED_BYTES))], compression=records.ZSTD
    )
    assert len(bomb) < 64 * 1024
    with WireClient(bs) as c:
        resp = wire_produce(c, topic, bomb)
        assert resp.error_code == ErrorCode.corrupt_message
        assert "decompress to more than" in resp.error_message
        assert wire_produce(c, topic, records.build_batch([(b"k", b"v")])).error_code == 0
    assert [(k, v) for k, v, _, _ in consume(bs, topic, 1)] == [(b"k", b"v")]
