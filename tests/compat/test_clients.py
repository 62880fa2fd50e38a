"""Real clients against the real broker: create, produce (every codec), consume byte-exact,
list offsets by timestamp, and the idempotent producer.

Each client writes its own topic per codec; the records carry binary keys, null keys, headers
(duplicate names, null values) and a null value, and are read back with the same client and
compared field by field with what was sent.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid

import pytest

from tests.harness import wait_for

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
N = 40


def sample_records(
    n: int = N, null_headers: bool = True
) -> list[tuple[bytes | None, bytes | None, list]]:
    """Keyed and unkeyed records; kafka-python and aiokafka cannot send null header values."""
    out = []
    for i in range(n):
        key = None if i % 4 == 0 else b"\x00key-\xff" + str(i).encode()
        value = None if i == n - 1 else os.urandom(8) + b"value-%d" % i
        headers = (
            []
            if i % 3
            else [("h", b"1"), ("h", None if null_headers else b""), ("trace", str(i).encode())]
        )
        out.append((key, value, headers))
    return out


def topic_name(client: str, codec: str) -> str:
    return f"{client}-{codec}-{uuid.uuid4().hex[:6]}"


# --- confluent-kafka --------------------------------------------------------------------------


def confluent_create(bootstrap: str, topic: str, partitions: int = 3) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(15)


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka(shared_broker, codec):
    from confluent_kafka import Consumer, Producer, TopicPartition

    bs = shared_broker.bootstrap
    topic = topic_name("ck", codec)
    confluent_create(bs, topic)
    sent = sample_records()
    p = Producer(
        {
            "bootstrap.servers": bs,
            "compression.type": codec,
            "linger.ms": 20,
            "enable.idempotence": True,
            "acks": "all",
        }
    )
    errors = []
    t_before = int(time.time() * 1000) - 1
    for i, (k, v, h) in enumerate(sent):
        p.produce(
            topic,
            key=k,
            value=v,
            headers=h,
            partition=i % 3,
            on_delivery=lambda err, msg: err and errors.append(err),
        )
    assert p.flush(30) == 0 and not errors

    c = Consumer({"bootstrap.servers": bs, "group.id": "unused", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, i, 0) for i in range(3)])
    got = []
    deadline = time.monotonic() + 30
    while len(got) < len(sent) and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m)
    assert len(got) == len(sent)
    by_partition = {p: [s for i, s in enumerate(sent) if i % 3 == p] for p in range(3)}
    for part in range(3):
        msgs = [m for m in got if m.partition() == part]
        assert [m.offset() for m in msgs] == list(range(len(by_partition[part])))
        assert [(m.key(), m.value(), m.headers() or []) for m in msgs] == by_partition[part]
        assert all(m.timestamp()[1] >= t_before for m in msgs)

    # ListOffsets by timestamp: the first record at or after a time, and the end offsets.
    ts = got[0].timestamp()[1]
    found = c.offsets_for_times([TopicPartition(topic, i, ts) for i in range(3)], timeout=10)
    assert all(tp.error is None and tp.offset == 0 for tp in found)
    future = c.offsets_for_times([TopicPartition(topic, 0, int(time.time() * 1000) + 60_000)], 10)
    assert future[0].offset == -1
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (low, high) == (0, len(by_partition[0]))
    c.close()


# --- kafka-python -----------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python(shared_broker, codec):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    bs = shared_broker.bootstrap
    topic = topic_name("kp", codec)
    admin = KafkaAdminClient(bootstrap_servers=bs)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    sent = sample_records(null_headers=False)
    producer = KafkaProducer(
        bootstrap_servers=bs,
        compression_type=None if codec == "none" else codec,
        enable_idempotence=True,
        acks="all",
        linger_ms=10,
    )
    futures = [producer.send(topic, key=k, value=v, headers=h, partition=0) for k, v, h in sent]
    producer.flush(30)
    metas = [f.get(10) for f in futures]
    assert [m.offset for m in metas] == list(range(len(sent)))
    producer.close()

    consumer = KafkaConsumer(
        bootstrap_servers=bs,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=10_000,
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = []
    for m in consumer:
        got.append(m)
        if len(got) == len(sent):
            break
    assert [(m.key, m.value, [(k, v) for k, v in m.headers]) for m in got] == [
        (k, v, h) for k, v, h in sent
    ]
    found = consumer.offsets_for_times({tp: got[5].timestamp})
    assert found[tp].offset <= 5 and found[tp].timestamp == got[found[tp].offset].timestamp
    assert consumer.end_offsets([tp])[tp] == len(sent)
    consumer.close()


# --- aiokafka ---------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka(shared_broker, codec):
    asyncio.run(_aiokafka(shared_broker.bootstrap, codec))


async def _aiokafka(bs: str, codec: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = topic_name("aio", codec)
    admin = AIOKafkaAdminClient(bootstrap_servers=bs)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    sent = sample_records(null_headers=False)
    producer = AIOKafkaProducer(
        bootstrap_servers=bs,
        enable_idempotence=True,
        compression_type=None if codec == "none" else codec,
    )
    await producer.start()
    try:
        metas = [
            await producer.send_and_wait(topic, key=k, value=v, headers=h, partition=0)
            for k, v, h in sent
        ]
    finally:
        await producer.stop()
    assert [m.offset for m in metas] == list(range(len(sent)))

    consumer = AIOKafkaConsumer(bootstrap_servers=bs, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        got = []
        async with asyncio.timeout(30):
            while len(got) < len(sent):
                batch = await consumer.getmany(tp, timeout_ms=1000)
                got += batch.get(tp, [])
        assert [(m.key, m.value, list(m.headers)) for m in got] == [
            (k, v, [(hk, hv) for hk, hv in h]) for k, v, h in sent
        ]
        found = await consumer.offsets_for_times({tp: got[10].timestamp})
        assert found[tp].offset <= 10
        assert (await consumer.end_offsets([tp]))[tp] == len(sent)
    finally:
        await consumer.stop()


# --- kcat (librdkafka 2.0.2 from Debian) ------------------------------------------------------


@pytest.mark.parametrize("codec", CODECS)
def test_kcat(shared_broker, codec):
    import shutil

    if shutil.which("kcat") is None:
        pytest.skip("kcat is not installed (apt-get install -y kcat)")
    bs = shared_broker.bootstrap
    topic = topic_name("kcat", codec)
    confluent_create(bs, topic, partitions=1)
    lines = [f"key{i}:value {i} \u00e9" for i in range(N)]
    subprocess.run(
        [
            "kcat",
            "-b",
            bs,
            "-P",
            "-t",
            topic,
            "-K",
            ":",
            "-z",
            codec,
            "-H",
            "origin=kcat",
            "-X",
            "enable.idempotence=true",
        ],
        input="\n".join(lines).encode(),
        check=True,
        timeout=60,
    )
    out = (
        subprocess.run(
            [
                "kcat",
                "-b",
                bs,
                "-C",
                "-t",
                topic,
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%k|%s|%h|%o|%T\n",
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
        .stdout.decode()
        .splitlines()
    )
    assert [line.split("|")[:4] for line in out] == [
        [f"key{i}", f"value {i} \u00e9", "origin=kcat", str(i)] for i in range(N)
    ]
    # Start from a timestamp (ListOffsets by time): everything at or after the 10th record.
    ts = int(out[10].split("|")[4])
    later = (
        subprocess.run(
            ["kcat", "-b", bs, "-C", "-t", topic, "-o", f"s@{ts}", "-e", "-q", "-f", "%o\n"],
            capture_output=True,
            check=True,
            timeout=60,
        )
        .stdout.decode()
        .split()
    )
    assert later and int(later[0]) <= 10 and later[-1] == str(N - 1)


def test_confluent_idempotent_producer_has_no_duplicates(shared_broker):
    """Many small in-flight batches with idempotence: every record lands exactly once."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    bs = shared_broker.bootstrap
    topic = topic_name("idem", "x")
    confluent_create(bs, topic, partitions=1)
    p = Producer(
        {
            "bootstrap.servers": bs,
            "enable.idempotence": True,
            "linger.ms": 0,
            "batch.num.messages": 1,
            "max.in.flight": 5,
        }
    )
    for i in range(2000):
        p.produce(topic, value=str(i).encode())
        p.poll(0)
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": bs, "group.id": "x", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    values = []
    wait_for(
        lambda: (
            values.extend(m.value() for m in c.consume(500, 0.2) if not m.error())
            or len(values) >= 2000
        ),
        30,
        what="2000 records",
    )
    c.close()
    assert [int(v) for v in values] == list(range(2000))
