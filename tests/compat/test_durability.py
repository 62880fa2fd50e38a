"""Durability with the real broker process: clean restarts, kill -9 during acks=all produce,
and a corrupted segment tail truncated at start-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from broker.log.manager import CLEAN_SHUTDOWN_FILE
from tests.harness import free_port, wait_for


def create(bs: str, topic: str, partitions: int = 1, config: dict | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, partitions, 1, config=config or {})])[topic].result(15)


def read_all(
    bs: str, topic: str, partitions: int = 1, expect: int | None = None, timeout: float = 30
) -> list:
    """Every record of the topic, read until the end offsets seen at the start."""
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": "reader",
            "enable.auto.commit": False,
            "check.crcs": True,
        }
    )
    try:
        ends = {
            p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        }
        total = sum(ends.values()) if expect is None else expect
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out: list = []
        deadline = time.monotonic() + timeout
        while len(out) < total and time.monotonic() < deadline:
            for m in c.consume(1000, 0.2):
                if m.error():
                    raise AssertionError(f"consumer error: {m.error()}")
                out.append(m)
        return out
    finally:
        c.close()


def test_everything_survives_a_clean_restart(broker):
    bs = broker.bootstrap
    create(bs, "keep", partitions=2, config={"retention.ms": "123456789"})
    p = Producer({"bootstrap.servers": bs})
    for i in range(500):
        p.produce("keep", key=str(i).encode(), value=b"v%d" % i, partition=i % 2)
    assert p.flush(30) == 0
    broker.restart()
    assert "stopped cleanly" in broker.log()
    got = read_all(bs, "keep", 2)
    assert sorted(int(m.key()) for m in got) == list(range(500))
    admin = AdminClient({"bootstrap.servers": bs})
    res = ConfigResource(ConfigResource.Type.TOPIC, "keep")
    configs = admin.describe_configs([res])[res].result(10)
    assert configs["retention.ms"].value == "123456789"
    # New writes continue after the old offsets.
    p = Producer({"bootstrap.servers": bs})
    p.produce("keep", value=b"after", partition=0)
    assert p.flush(10) == 0
    c = Consumer({"bootstrap.servers": bs, "group.id": "x"})
    assert c.get_watermark_offsets(TopicPartition("keep", 0), timeout=10) == (0, 251)
    c.close()


def test_acknowledged_records_survive_kill_9_during_produce(broker):
    bs = broker.bootstrap
    create(bs, "durable", partitions=3)
    acked: list[bytes] = []
    stop = threading.Event()

    def produce() -> None:
        p = Producer(
            {
                "bootstrap.servers": bs,
                "acks": "all",
                "linger.ms": 2,
                "message.timeout.ms": 5000,
                "enable.idempotence": True,
            }
        )
        i = 0
        while not stop.is_set():
            value = b"rec-%08d" % i
            p.produce(
                "durable",
                value=value,
                partition=i % 3,
                on_delivery=lambda err, msg: err is None and acked.append(msg.value()),
            )
            i += 1
            p.poll(0)
            if i % 200 == 0:
                time.sleep(0.001)  # yield to the broker; not synchronisation
        p.flush(10)

    t = threading.Thread(target=produce)
    t.start()
    try:
        wait_for(lambda: len(acked) > 3000, 60, what="3000 acknowledged records")
        broker.stop(signal.SIGKILL)
    finally:
        stop.set()
        t.join(30)
    snapshot = set(acked)
    broker.start()
    assert "recover" in broker.log().lower()
    got = read_all(bs, "durable", 3)
    values = [m.value() for m in got]
    assert len(values) == len(set(values)), "duplicates after recovery"
    missing = snapshot - set(values)
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {sorted(missing)[:3]}"


def test_an_idempotent_producer_carries_on_across_a_kill_9_exactly_once_in_order(broker):
    # The producer outlives the broker: batches appended but not acknowledged before the kill
    # are retried against the restarted broker, which must know them again from the log (the
    # producer state is rebuilt by recovery) and answer them as duplicates, not store them
    # twice; nothing may be lost, reordered or refused as out of sequence.
    bs = broker.bootstrap
    create(bs, "exactly-once", partitions=3)
    acked: list[bytes] = []
    failed: list[str] = []
    stop = threading.Event()
    sent = [0]

    def delivered(err, msg) -> None:
        if err is None:
            acked.append(msg.value())
        else:
            failed.append(str(err))

    def produce() -> None:
        p = Producer(
            {
                "bootstrap.servers": bs,
                "acks": "all",
                "linger.ms": 2,
                "enable.idempotence": True,
                "message.timeout.ms": 60000,
                "reconnect.backoff.max.ms": 200,
            }
        )
        i = 0
        while not stop.is_set():
            try:
                p.produce("exactly-once", value=b"r%08d" % i, partition=i % 3,
                          on_delivery=delivered)
            except BufferError:
                p.poll(0.01)
                continue
            i += 1
            p.poll(0)
            if i % 100 == 0:
                time.sleep(0.002)  # yield to the broker; not synchronisation
        sent[0] = i
        assert p.flush(60) == 0

    t = threading.Thread(target=produce)
    t.start()
    try:
        wait_for(lambda: len(acked) > 3000, 60, what="3000 acknowledged records")
        broker.stop(signal.SIGKILL)
        broker.start()
        wait_for(lambda: len(acked) > 6000, 60, what="acknowledgements after the restart")
    finally:
        stop.set()
        t.join(90)
    assert not failed, failed[:3]
    assert len(acked) == sent[0]
    values = [m.value() for m in read_all(bs, "exactly-once", 3)]
    assert sorted(values) == [b"r%08d" % i for i in range(sent[0])]  # no loss, no duplicate
    for p in range(3):
        mine = [v for v in values if int(v[1:]) % 3 == p]
        assert mine == sorted(mine), f"partition {p} out of order"


def segment_files(data_dir, topic: str, partition: int = 0) -> list:
    return sorted((data_dir / f"{topic}-{partition}").glob("*.log"))


def test_a_corrupt_segment_tail_is_truncated_and_the_log_continues(broker):
    bs = broker.bootstrap
    create(bs, "torn")
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0, "batch.num.messages": 1})
    for i in range(10):
        p.produce("torn", value=b"r%d" % i)
        p.flush(10)
    broker.stop(signal.SIGKILL)
    seg = segment_files(broker.data_dir, "torn")[-1]
    size = seg.stat().st_size
    with open(seg, "r+b") as f:
        # Flip a byte inside the last batch and add a torn half-batch after it.
        f.seek(size - 2)
        last = f.read(1)
        f.seek(size - 2)
        f.write(bytes([last[0] ^ 0xFF]))
        f.seek(size)
        f.write(os.urandom(40))
    broker.start()
    c = Consumer({"bootstrap.servers": bs, "group.id": "x"})
    assert c.get_watermark_offsets(TopicPartition("torn", 0), timeout=10) == (0, 9)
    c.close()
    assert [m.value() for m in read_all(bs, "torn")] == [b"r%d" % i for i in range(9)]
    p = Producer({"bootstrap.servers": bs})
    p.produce("torn", value=b"next")
    assert p.flush(10) == 0
    got = read_all(bs, "torn")
    assert [(m.offset(), m.value()) for m in got][-2:] == [(8, b"r8"), (9, b"next")]


def test_a_second_broker_on_the_same_data_dir_is_refused(broker):
    """One process per data directory (Kafka's .lock): a second broker touches no file."""
    bs = broker.bootstrap
    create(bs, "locked")
    p = Producer({"bootstrap.servers": bs})
    p.produce("locked", value=b"first")
    assert p.flush(10) == 0
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "broker",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--data-dir",
            str(broker.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert second.returncode == 1
    assert "another broker process is using" in second.stderr
    assert "recover" not in second.stderr  # refused before opening any log
    assert not (broker.data_dir / CLEAN_SHUTDOWN_FILE).exists()  # the running one has none
    p.produce("locked", value=b"second")
    assert p.flush(10) == 0
    # the lock dies with its process: a broker started after kill -9 opens the directory
    broker.kill()
    broker.start()
    assert [m.value() for m in read_all(bs, "locked")] == [b"first", b"second"]
