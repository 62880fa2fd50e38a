"""Retention and a full disk with the real broker process and confluent-kafka clients."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from tests.harness import BrokerProcess, free_port, wait_for

HOUR_MS = 3_600_000


def start(factory, *extra: str) -> tuple[BrokerProcess, str]:
    port = free_port()
    b = factory(
        "--set",
        "log.retention.check.interval.ms=200",
        "--set",
        f"admin.listen=127.0.0.1:{port}",
        *extra,
    )
    return b, f"http://127.0.0.1:{port}"


def create(bs: str, topic: str, **config: str) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(15)


def produce(bs: str, topic: str, n: int, *, first: int = 0, ts: int | None = None) -> None:
    """``n`` records of 100 bytes numbered from ``first``; CreateTime ``ts`` when given."""
    p = Producer({"bootstrap.servers": bs, "linger.ms": 5, "batch.size": 800})
    for i in range(first, first + n):
        value = b"%06d" % i + b"x" * 94
        if ts is None:
            p.produce(topic, value=value, partition=0)
        else:
            p.produce(topic, value=value, partition=0, timestamp=ts)
    assert p.flush(30) == 0


def segments(url: str, topic: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/v1/partitions/{topic}/0/segments", timeout=10) as r:
        return json.loads(r.read())["segments"]


def metric(url: str, name: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise KeyError(name)


def watermarks(bs: str, topic: str) -> tuple[int, int]:
    c = Consumer({"bootstrap.servers": bs, "group.id": "wm"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        c.close()


def first_consumed(bs: str, topic: str, from_offset: int) -> tuple[int, bytes]:
    """Start a consumer at ``from_offset`` (auto.offset.reset=earliest); its first record."""
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": f"reader-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        c.assign([TopicPartition(topic, 0, from_offset)])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msg = c.poll(1)
            if msg is not None and msg.error() is None:
                return msg.offset(), msg.value()
        raise AssertionError("no record consumed")
    finally:
        c.close()


def passes_after(url: str, n: int) -> None:
    """Wait until ``n`` more retention passes have run."""
    target = metric(url, "kctl_retention_passes_total") + n
    wait_for(lambda: metric(url, "kctl_retention_passes_total") >= target, what="retention")


def test_retention_by_time_follows_altered_config(broker_factory):
    b, url = start(broker_factory)
    topic = "expiring"
    create(b.bootstrap, topic, **{"segment.bytes": "1024", "retention.ms": "-1"})
    old = int(time.time() * 1000) - HOUR_MS
    produce(b.bootstrap, topic, 100, ts=old)
    before = segments(url, topic)
    assert len(before) > 5
    passes_after(url, 2)
    assert segments(url, topic) == before  # retention.ms=-1 keeps everything
    assert watermarks(b.bootstrap, topic) == (0, 100)

    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        topic,
        incremental_configs=[
            ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    admin.incremental_alter_configs([resource])[resource].result(15)

    active = before[-1]
    wait_for(lambda: len(segments(url, topic)) == 1, what="expired segments deleted")
    after = segments(url, topic)
    assert after[0]["active"] and after[0]["base_offset"] == active["base_offset"] > 0
    assert watermarks(b.bootstrap, topic) == (active["base_offset"], 100)
    # a consumer below the log start is reset to it (OFFSET_OUT_OF_RANGE -> earliest)
    offset, value = first_consumed(b.bootstrap, topic, 0)
    assert offset == active["base_offset"]
    assert value.startswith(b"%06d" % offset)
    assert metric(url, "kctl_retention_deleted_bytes_total") == sum(
        s["size_bytes"] for s in before[:-1]
    )
    # the active segment stays, even though its records are expired too, and the log goes on
    passes_after(url, 2)
    assert segments(url, topic)[0]["base_offset"] == active["base_offset"]
    produce(b.bootstrap, topic, 5, first=100)
    log_start, log_end = watermarks(b.bootstrap, topic)
    # the new records may roll the active segment, whose expired records then go as well
    assert log_end == 105 and log_start in (active["base_offset"], 100)
    # the log start survives a restart (it never goes back)
    b.restart()
    assert watermarks(b.bootstrap, topic)[0] >= log_start > 0


def test_retention_by_size(broker_factory):
    b, url = start(broker_factory)
    topic = "bounded"
    create(b.bootstrap, topic, **{"segment.bytes": "1024", "retention.bytes": "3000"})
    produce(b.bootstrap, topic, 200)

    def trimmed() -> list[dict] | None:
        segs = segments(url, topic)
        total = sum(s["size_bytes"] for s in segs)
        # Kafka's rule: the oldest segment goes while the rest stays >= retention.bytes
        if total - segs[0]["size_bytes"] < 3000 <= total:
            return segs
        return None

    segs = wait_for(trimmed, what="size retention")
    start_offset = segs[0]["base_offset"]
    assert start_offset > 0 and segs[-1]["active"]
    assert watermarks(b.bootstrap, topic) == (start_offset, 200)
    assert first_consumed(b.bootstrap, topic, 0)[0] == start_offset
    # a compacted topic is never retained
    create(b.bootstrap, "compacted", **{"segment.bytes": "1024", "retention.bytes": "100",
                                        "cleanup.policy": "compact"})
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5, "batch.size": 800})
    for i in range(100):
        p.produce("compacted", key=b"k%d" % i, value=b"v" * 100, partition=0)
    assert p.flush(30) == 0
    passes_after(url, 2)
    assert watermarks(b.bootstrap, "compacted")[0] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
@pytest.mark.parametrize("segment_bytes", [65536, 1100], ids=["append", "roll"])
def test_full_disk_refuses_produce_keeps_reads_and_recovers(
    broker_factory, tmp_path, segment_bytes
):
    """Produce fails with KAFKA_STORAGE_ERROR on a full disk (while appending to the active
    segment, or when each record rolls a new one), and works again once space returns."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], check=True)
    try:
        _full_disk(broker_factory, mnt, segment_bytes)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _full_disk(broker_factory, mnt: Path, segment_bytes: int) -> None:
    data = mnt / "data"
    b, url = start(broker_factory, "--set", f"log.dirs={data}")
    topic = "full"
    create(b.bootstrap, topic, **{"segment.bytes": str(segment_bytes)})
    produce(b.bootstrap, topic, 50)
    ballast = mnt / "ballast"
    with open(ballast, "wb", buffering=0) as f:  # fill the file system to the last byte
        for chunk in (65536, 4096, 1):
            try:
                while f.write(b"\0" * chunk):
                    pass
            except OSError:
                pass

    acked, refused = 50, None
    p = Producer(
        {"bootstrap.servers": b.bootstrap, "linger.ms": 0, "retries": 0, "acks": 1}
    )
    errors: list = []
    for i in range(50, 2000):
        p.produce(topic, value=b"%06d" % i + b"y" * 994, partition=0,
                  on_delivery=lambda err, msg: errors.append(err))
        p.flush(10)
        if errors[-1] is not None:
            refused = errors[-1]
            break
        acked += 1
    assert refused is not None, "the file system never filled"
    assert refused.code() == KafkaError.KAFKA_STORAGE_ERROR

    # reads keep working and return exactly what was acknowledged
    assert watermarks(b.bootstrap, topic) == (0, acked)
    c = Consumer(
        {"bootstrap.servers": b.bootstrap, "group.id": "full", "enable.auto.commit": False}
    )
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got = []
        while len(got) < acked:
            msg = c.poll(5)
            assert msg is not None, f"read {len(got)} of {acked}"
            if msg.error():
                raise KafkaException(msg.error())
            got.append((msg.offset(), msg.value()[:6]))
    finally:
        c.close()
    assert got == [(i, b"%06d" % i) for i in range(acked)]

    # space returns: produce works again, with offsets right after the acknowledged ones
    ballast.unlink()
    produce(b.bootstrap, topic, 10, first=acked)
    assert watermarks(b.bootstrap, topic) == (0, acked + 10)
    assert b.proc.poll() is None
    # and after a restart nothing refused resurfaces
    b.restart()
    assert watermarks(b.bootstrap, topic) == (0, acked + 10)
    assert first_consumed(b.bootstrap, topic, acked)[1].startswith(b"%06d" % acked)
    assert metric(url, "kctl_partitions") >= 1


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_refused_append_leaves_no_bytes_in_the_file(tmp_path):
    from broker.log.log import LogConfig
    from tests.log.helpers import append, batch, open_log

    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        cfg = LogConfig(segment_bytes=1 << 20, index_interval_bytes=128, segment_index_bytes=4096)
        lg = open_log(mnt / "t-0", cfg)
        append(lg, batch(1, size=30))
        with open(mnt / "ballast", "wb", buffering=0) as f:
            for chunk in (65536, 4096, 1):
                try:
                    while f.write(b"\0" * chunk):
                        pass
                except OSError:
                    pass
        # small batches fit the .log file's last page; the first index entry needs a new one
        with pytest.raises(OSError):
            for _ in range(20):
                append(lg, batch(1, size=30))
        size = lg.segments()[-1].size_bytes
        lg.close()
        assert (mnt / "t-0" / "00000000000000000000.log").stat().st_size == size
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
