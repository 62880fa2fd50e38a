"""Transactions with real clients: confluent-kafka (librdkafka), kafka-python, aiokafka and kcat.

Each test ends its topic with a committed sentinel record: a consumer that reached it has
read everything before it, so "an aborted record never shows up" is checked without waiting.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from tests.harness import wait_for

END = b"end"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(bs: str, topic: str, partitions: int = 1) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(15)


def read_until_end(bs: str, topic: str, isolation: str, timeout: float = 30) -> list:
    """(offset, value) of every record a consumer with this isolation level returns, up to
    and including the first END sentinel."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": unique("reader"),
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }
    )
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            assert m.error() is None, m.error()
            got.append((m.offset(), m.value()))
            if m.value() == END:
                return got
        raise AssertionError(f"no end sentinel within {timeout}s; read {got}")
    finally:
        c.close()


def txn_producer(bs: str, tid: str, **extra):
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bs, "transactional.id": tid, **extra})
    p.init_transactions(30)
    return p


def committed_offset(bs: str, group: str, topic: str) -> int:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bs, "group.id": group, "enable.auto.commit": False})
    try:
        return c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
    finally:
        c.close()


# --- confluent-kafka ---------------------------------------------------------------------------


def test_confluent_commit_shows_and_abort_hides(shared_broker):
    bs, topic = shared_broker.bootstrap, unique("cf-txn")
    create(bs, topic)
    p = txn_producer(bs, unique("tx"))
    p.begin_transaction()
    for v in (b"c0", b"c1"):
        p.produce(topic, value=v)
    p.commit_transaction(30)
    p.begin_transaction()
    for v in (b"a0", b"a1"):
        p.produce(topic, value=v)
    p.flush(30)  # the aborted records reach the log (librdkafka drops unsent ones on abort)
    p.abort_transaction(30)
    p.begin_transaction()
    p.produce(topic, value=END)
    p.commit_transaction(30)

    committed = read_until_end(bs, topic, "read_committed")
    assert [v for _, v in committed] == [b"c0", b"c1", END]
    uncommitted = read_until_end(bs, topic, "read_uncommitted")
    # control records (offsets 2, 5 and 7) are never returned to the application
    assert uncommitted == [(0, b"c0"), (1, b"c1"), (3, b"a0"), (4, b"a1"), (6, END)]


def test_confluent_send_offsets_commit_moves_the_group_and_abort_does_not(shared_broker):
    from confluent_kafka import Consumer, TopicPartition

    bs = shared_broker.bootstrap
    source, sink, group = unique("cf-in"), unique("cf-out"), unique("cf-grp")
    create(bs, source)
    create(bs, sink)
    feed = txn_producer(bs, unique("feed"))
    feed.begin_transaction()
    for i in range(4):
        feed.produce(source, value=b"in%d" % i)
    feed.commit_transaction(30)

    consumer = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": group,
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.assign([TopicPartition(source, 0, 0)])
        p = txn_producer(bs, unique("ctp"))
        p.begin_transaction()
        p.produce(sink, value=b"out")
        p.send_offsets_to_transaction(
            [TopicPartition(source, 0, 2)], consumer.consumer_group_metadata(), 30
        )
        p.commit_transaction(30)
        assert committed_offset(bs, group, source) == 2

        p.begin_transaction()
        p.produce(sink, value=b"lost")
        p.send_offsets_to_transaction(
            [TopicPartition(source, 0, 4)], consumer.consumer_group_metadata(), 30
        )
        p.abort_transaction(30)
        assert committed_offset(bs, group, source) == 2
    finally:
        consumer.close()


def test_confluent_second_producer_fences_the_first(shared_broker):
    from confluent_kafka import KafkaException

    bs, topic, tid = shared_broker.bootstrap, unique("cf-fence"), unique("tx")
    create(bs, topic)
    zombie = txn_producer(bs, tid)
    zombie.begin_transaction()
    zombie.produce(topic, value=b"zombie")
    zombie.flush(30)

    successor = txn_producer(bs, tid)  # aborts the zombie's open transaction
    with pytest.raises(KafkaException) as raised:
        zombie.produce(topic, value=b"zombie-2")
        zombie.commit_transaction(30)
    error = raised.value.args[0]
    assert error.fatal(), error
    assert "fenced" in error.str().lower() or "epoch" in error.str().lower(), error.str()

    successor.begin_transaction()
    successor.produce(topic, value=END)
    successor.commit_transaction(30)
    assert [v for _, v in read_until_end(bs, topic, "read_committed")] == [END]


DYING_PRODUCER = textwrap.dedent(
    """
    import sys, time
    from confluent_kafka import Producer
    bs, topic, tid = sys.argv[1:4]
    p = Producer({"bootstrap.servers": bs, "transactional.id": tid,
                  "transaction.timeout.ms": 2000})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, value=b"stuck")
    p.flush(30)
    print("ready", flush=True)
    time.sleep(600)
    """
)


def test_open_transaction_of_a_dead_producer_is_aborted_after_its_timeout(broker_factory):
    from confluent_kafka import Producer

    b = broker_factory(
        "--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=200"
    )
    bs, topic = b.bootstrap, unique("timeout")
    create(bs, topic)
    child = subprocess.Popen(
        [sys.executable, "-c", DYING_PRODUCER, bs, topic, unique("tx")],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline().strip() == b"ready"
    finally:
        child.kill()
        child.wait(10)
    plain = Producer({"bootstrap.servers": bs})
    plain.produce(topic, value=END)
    plain.flush(30)
    # blocked behind the open transaction until the coordinator aborts it (~2 s)
    started = time.monotonic()
    assert read_until_end(bs, topic, "read_committed") == [(1, END)]
    assert time.monotonic() - started < 20
    assert [v for _, v in read_until_end(bs, topic, "read_uncommitted")] == [b"stuck", END]


def test_kcat_read_committed_reads_only_committed_data(shared_broker):
    if shutil.which("kcat") is None:
        pytest.skip("kcat is not installed (apt-get install -y kcat)")
    bs, topic = shared_broker.bootstrap, unique("kcat-txn")
    create(bs, topic)
    p = txn_producer(bs, unique("tx"))
    for values, commit in (([b"c0", b"c1"], True), ([b"a0"], False), ([b"c2"], True)):
        p.begin_transaction()
        for v in values:
            p.produce(topic, value=v)
        p.flush(30)
        p.commit_transaction(30) if commit else p.abort_transaction(30)

    def kcat(isolation: str) -> list[str]:
        out = subprocess.run(
            [
                *("kcat", "-b", bs, "-C", "-t", topic, "-o", "beginning", "-e", "-q"),
                *("-X", f"isolation.level={isolation}", "-f", "%s\n"),
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
        return out.stdout.decode().split()

    assert kcat("read_committed") == ["c0", "c1", "c2"]
    assert kcat("read_uncommitted") == ["c0", "c1", "a0", "c2"]


# --- kafka-python ------------------------------------------------------------------------------


def test_kafka_python_transactions(shared_broker):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaError

    bs = shared_broker.bootstrap
    topic, source, group = unique("kp-txn"), unique("kp-in"), unique("kp-grp")
    create(bs, topic)
    create(bs, source)
    tid = unique("tx")
    p = KafkaProducer(bootstrap_servers=bs, transactional_id=tid)
    try:
        p.init_transactions()
        p.begin_transaction()
        p.send(topic, b"c0")
        p.send_offsets_to_transaction({TopicPartition(source, 0): _offset(5)}, group)
        p.commit_transaction()
        assert committed_offset(bs, group, source) == 5

        p.begin_transaction()
        p.send(topic, b"a0")
        p.flush()
        p.send_offsets_to_transaction({TopicPartition(source, 0): _offset(9)}, group)
        p.abort_transaction()
        assert committed_offset(bs, group, source) == 5

        p.begin_transaction()
        p.send(topic, END)
        p.commit_transaction()
    finally:
        p.close(timeout=10)

    c = KafkaConsumer(
        topic,
        bootstrap_servers=bs,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    try:
        values: list[bytes] = []

        def reached_end() -> bool:
            for batch in c.poll(timeout_ms=200).values():
                values.extend(r.value for r in batch)
            return END in values

        wait_for(reached_end, 30, what="kafka-python to read the sentinel")
        assert values == [b"c0", END]
    finally:
        c.close()

    # fencing: a new instance with the same id makes the old one fail
    old = KafkaProducer(bootstrap_servers=bs, transactional_id=tid)
    try:
        old.init_transactions()
        old.begin_transaction()
        old.send(topic, b"zombie")
        old.flush()
        new = KafkaProducer(bootstrap_servers=bs, transactional_id=tid)
        new.init_transactions()
        new.close(timeout=10)
        with pytest.raises(KafkaError):
            old.commit_transaction()
    finally:
        old.close(timeout=10)


def _offset(n: int):
    from kafka.structs import OffsetAndMetadata

    try:
        return OffsetAndMetadata(n, "", -1)
    except TypeError:  # kafka-python < 2.1 has no leader epoch field
        return OffsetAndMetadata(n, "")


# --- aiokafka ----------------------------------------------------------------------------------


def test_aiokafka_transactions(shared_broker):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.errors import KafkaError

    bs = shared_broker.bootstrap
    topic, source, group = unique("aio-txn"), unique("aio-in"), unique("aio-grp")
    create(bs, topic)
    create(bs, source)
    tid = unique("tx")

    async def run() -> list[bytes]:
        p = AIOKafkaProducer(bootstrap_servers=bs, transactional_id=tid)
        await p.start()
        try:
            async with p.transaction():
                await p.send_and_wait(topic, b"c0")
                await p.send_offsets_to_transaction({TopicPartition(source, 0): 3}, group)
            assert committed_offset(bs, group, source) == 3
            await p.begin_transaction()
            await p.send_and_wait(topic, b"a0")
            await p.send_offsets_to_transaction({TopicPartition(source, 0): 7}, group)
            await p.abort_transaction()
            assert committed_offset(bs, group, source) == 3
            async with p.transaction():
                await p.send_and_wait(topic, END)

            # a second instance with the same id fences this one
            await p.begin_transaction()
            await p.send_and_wait(topic, b"zombie")
            other = AIOKafkaProducer(bootstrap_servers=bs, transactional_id=tid)
            await other.start()
            await other.stop()
            with pytest.raises(KafkaError):
                await p.commit_transaction()
        finally:
            await p.stop()

        c = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bs,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await c.start()
        try:
            values: list[bytes] = []
            deadline = time.monotonic() + 30
            while END not in values and time.monotonic() < deadline:
                for batch in (await c.getmany(timeout_ms=200)).values():
                    values.extend(r.value for r in batch)
            return values
        finally:
            await c.stop()

    assert asyncio.run(run()) == [b"c0", END]
