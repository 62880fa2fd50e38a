"""Transactions across kill -9 of the broker (real process, confluent-kafka): what a commit
acknowledged stays, a transaction left open is aborted (by the producer's next
init_transactions or by its timeout), and read_committed consumers never see aborted data."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition

from tests.compat.test_transactions import (
    END,
    committed_offset,
    create,
    read_until_end,
    txn_producer,
    unique,
)


def read_uncommitted_count(bs: str, topic: str) -> int:
    return len(read_until_end(bs, topic, "read_uncommitted"))


def _crash_and_restart(b) -> None:
    b.kill()
    b.start()


def test_kill_right_after_commit_keeps_records_and_offsets(broker):
    bs = broker.bootstrap
    source, sink, group = unique("in"), unique("out"), unique("grp")
    create(bs, source)
    create(bs, sink)
    consumer = Consumer({"bootstrap.servers": bs, "group.id": group})
    try:
        consumer.assign([TopicPartition(source, 0, 0)])
        p = txn_producer(bs, unique("tx"))
        p.begin_transaction()
        for v in (b"r0", b"r1", END):
            p.produce(sink, value=v)
        p.send_offsets_to_transaction(
            [TopicPartition(source, 0, 3)], consumer.consumer_group_metadata(), 30
        )
        p.commit_transaction(30)
        _crash_and_restart(broker)
    finally:
        consumer.close()
    assert [v for _, v in read_until_end(bs, sink, "read_committed")] == [b"r0", b"r1", END]
    assert committed_offset(bs, group, source) == 3


def test_kill_mid_transaction_then_the_producer_reinitialises(broker):
    bs, topic, tid = broker.bootstrap, unique("mid"), unique("tx")
    create(bs, topic)
    p = txn_producer(bs, tid)
    p.begin_transaction()
    p.produce(topic, value=b"c0")
    p.commit_transaction(30)
    p.begin_transaction()
    for v in (b"open0", b"open1"):
        p.produce(topic, value=v)
    p.flush(30)
    _crash_and_restart(broker)

    plain = Producer({"bootstrap.servers": bs})
    plain.produce(topic, value=END)
    plain.flush(30)
    # the open transaction survived the crash: the latest read_committed offset (ListOffsets
    # with isolation_level 1) is its first record, the high watermark is past it
    c = Consumer(
        {"bootstrap.servers": bs, "group.id": unique("g"), "isolation.level": "read_committed"}
    )
    try:
        assert c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False) == (
            0,
            2,
        )
    finally:
        c.close()
    assert read_uncommitted_count(bs, topic) == 4

    txn_producer(bs, tid)  # a new instance: the coordinator aborts the open transaction
    assert [v for _, v in read_until_end(bs, topic, "read_committed")] == [b"c0", END]
    assert [v for _, v in read_until_end(bs, topic, "read_uncommitted")] == [
        b"c0",
        b"open0",
        b"open1",
        END,
    ]


def test_kill_mid_transaction_then_the_timeout_aborts_it(broker_factory):
    b = broker_factory("--set", "transaction.abort.timed.out.transaction.cleanup.interval.ms=200")
    bs, topic = b.bootstrap, unique("mid-timeout")
    create(bs, topic)
    p = txn_producer(bs, unique("tx"), **{"transaction.timeout.ms": 2000})
    p.begin_transaction()
    p.produce(topic, value=b"doomed")
    p.flush(30)
    _crash_and_restart(b)
    plain = Producer({"bootstrap.servers": bs})
    plain.produce(topic, value=END)
    plain.flush(30)
    assert [v for _, v in read_until_end(bs, topic, "read_committed")] == [END]


def test_a_plain_commit_made_inside_a_transaction_stays_across_restart(broker):
    """An app committing offsets both ways: the one stored last counts, as in Kafka. The
    transaction's offset record comes first, the plain commit after it, then the commit
    marker: the plain commit stays, before and after a restart (replay from the log)."""
    bs = broker.bootstrap
    source, group = unique("in"), unique("grp")
    create(bs, source)
    consumer = Consumer({"bootstrap.servers": bs, "group.id": group})
    try:
        consumer.assign([TopicPartition(source, 0, 0)])
        p = txn_producer(bs, unique("tx"))
        p.begin_transaction()
        p.send_offsets_to_transaction(
            [TopicPartition(source, 0, 5)], consumer.consumer_group_metadata(), 30
        )
        consumer.commit(offsets=[TopicPartition(source, 0, 3)], asynchronous=False)
        p.commit_transaction(30)
        assert committed_offset(bs, group, source) == 3
        broker.stop()
        broker.start()
    finally:
        consumer.close()
    assert committed_offset(bs, group, source) == 3
