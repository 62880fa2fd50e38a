"""Compaction with the real broker process and confluent-kafka clients."""

from __future__ import annotations

import random

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from broker.log.cleaner import CHECKPOINT_FILE
from broker.log.manager import read_checkpoint
from tests.harness import BrokerProcess, wait_for

FAST_CLEANER = ("--set", "log.cleaner.backoff.ms=100")
COMPACTED = {
    "cleanup.policy": "compact",
    "segment.bytes": "8192",
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": "0",
}
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]

Model = dict[bytes, bytes | None]


def create(bs: str, topic: str, config: dict[str, str]) -> None:
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, 1, 1, config=config)])[topic].result(15)


def producer(bs: str, **conf) -> Producer:
    # Batches must fit the small segments of these tests.
    return Producer({"bootstrap.servers": bs, "linger.ms": 5, "batch.size": 4000, **conf})


def produce(bs: str, topic: str, writes: list[tuple[bytes, bytes | None]], **conf) -> None:
    p = producer(bs, **conf)
    errors: list = []
    for key, value in writes:
        p.produce(
            topic,
            key=key,
            value=value,
            partition=0,
            on_delivery=lambda err, msg: err and errors.append(err),
        )
    assert p.flush(30) == 0
    assert errors == []


def random_writes(rng: random.Random, n: int, keys: int, size: int = 50) -> list:
    """Keyed writes, about one in eight a tombstone."""
    out = []
    for _ in range(n):
        key = b"key-%d" % rng.randrange(keys)
        value = None if rng.random() < 0.125 else rng.randbytes(size)
        out.append((key, value))
    return out


def apply(model: Model, writes: list) -> None:
    for key, value in writes:
        model[key] = value


def read_from_start(bs: str, topic: str) -> list[tuple[int, bytes, bytes | None]]:
    """(offset, key, value) of every record from the start to the end seen at the start."""
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": "reader",
            "enable.auto.commit": False,
            "check.crcs": True,
        }
    )
    try:
        tp = TopicPartition(topic, 0)
        end = c.get_watermark_offsets(tp, timeout=10)[1]
        c.assign([TopicPartition(topic, 0, 0)])
        out: list = []

        def caught_up() -> bool:
            for m in c.consume(1000, 0.2):
                if m.error():
                    raise KafkaException(m.error())
                out.append((m.offset(), m.key(), m.value()))
            return bool(out) and out[-1][0] >= end - 1

        wait_for(caught_up, 30, interval=0, what=f"reading {topic} to offset {end}")
        return out
    finally:
        c.close()


def cleaner_checkpoint(b: BrokerProcess, topic: str) -> int:
    return read_checkpoint(b.data_dir / CHECKPOINT_FILE).get((topic, 0), 0)


def compacted_view(b: BrokerProcess, topic: str, model: Model) -> list | None:
    """The records if every closed segment is compacted, else None.

    Always: the last value per key equals the model. Compacted: the cleaner checkpoint reached
    the active segment, below it every key appears once and no tombstone is left
    (delete.retention.ms=0 lets the second pass remove them).
    """
    checkpoint = cleaner_checkpoint(b, topic)
    active_base = max(int(p.name[:20]) for p in b.data_dir.glob(f"{topic}-0/*.log"))
    got = read_from_start(b.bootstrap, topic)
    offsets = [o for o, _, _ in got]
    assert offsets == sorted(set(offsets))
    last = {k: v for _, k, v in got}
    assert {k: v for k, v in last.items() if v is not None} == {
        k: v for k, v in model.items() if v is not None
    }
    cleaned = [(k, v) for o, k, v in got if o < checkpoint]
    if checkpoint < active_base or any(v is None for _, v in cleaned):
        return None
    assert len({k for k, _ in cleaned}) == len(cleaned)
    return got


def test_compacted_topic_gives_the_latest_value_per_key(broker_factory):
    b = broker_factory(*FAST_CLEANER)
    create(b.bootstrap, "changelog", COMPACTED)
    rng = random.Random(7)
    model: Model = {}
    total = 0
    for codec in CODECS:
        writes = random_writes(rng, 600, keys=40)
        produce(b.bootstrap, "changelog", writes, **{"compression.type": codec})
        apply(model, writes)
        total += len(writes)
    got = wait_for(
        lambda: compacted_view(b, "changelog", model), 60, interval=0.2, what="compaction"
    )
    assert cleaner_checkpoint(b, "changelog") > total // 2
    assert len(got) < total // 4  # most superseded records are gone
    assert len(list(b.data_dir.glob("changelog-0/*.log"))) > 1


def test_an_idempotent_producer_keeps_working_after_cleaning(broker_factory):
    b = broker_factory(*FAST_CLEANER)
    create(b.bootstrap, "idem", COMPACTED)
    rng = random.Random(11)
    model: Model = {}
    p = producer(b.bootstrap, **{"enable.idempotence": True})
    errors: list = []

    def send(writes: list) -> None:
        for key, value in writes:
            p.produce(
                "idem",
                key=key,
                value=value,
                partition=0,
                on_delivery=lambda err, msg: err and errors.append(err),
            )
        assert p.flush(30) == 0
        apply(model, writes)

    send(random_writes(rng, 1500, keys=20))
    wait_for(lambda: compacted_view(b, "idem", model), 60, interval=0.2, what="compaction")
    # The same producer (same id, sequences continuing) writes on after cleaning...
    send(random_writes(rng, 1500, keys=20))
    # ...and a new one too.
    produce(b.bootstrap, "idem", [(b"key-0", b"fresh")], **{"enable.idempotence": True})
    model[b"key-0"] = b"fresh"
    assert errors == []
    wait_for(lambda: compacted_view(b, "idem", model), 60, interval=0.2, what="recompaction")


def test_kill_9_during_cleaning_loses_nothing(broker_factory):
    slow = ("--set", "log.cleaner.io.max.bytes.per.second=1000000")
    b = broker_factory(*FAST_CLEANER, *slow)
    create(b.bootstrap, "crashy", {**COMPACTED, "segment.bytes": "65536"})
    rng = random.Random(3)
    model: Model = {}
    writes = random_writes(rng, 15_000, keys=500, size=200)
    produce(b.bootstrap, "crashy", writes, **{"compression.type": "lz4"})
    apply(model, writes)
    partition_dir = b.data_dir / "crashy-0"
    wait_for(
        lambda: list(partition_dir.glob("*.log.cleaned")) or list(partition_dir.glob("*.swap")),
        60,
        interval=0.01,
        what="the cleaner writing a segment",
    )
    b.kill()
    b.start()
    assert not list(partition_dir.glob("*.cleaned"))
    # The interrupted swap was resolved at start-up (discarded or completed).
    assert "unfinished cleaner output" in b.log() or "the cleaner's swap" in b.log()
    compacted_view(b, "crashy", model)  # the model holds right after the restart
    got = wait_for(lambda: compacted_view(b, "crashy", model), 90, interval=0.2, what="compaction")
    assert len(got) < len(writes) // 4
