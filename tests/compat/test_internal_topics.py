"""Clients may read the internal topics but never write to them, as in Apache Kafka."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaProducer


def _end_offsets(bootstrap: str, topic: str, partitions: int) -> list[int]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "internal-probe"})
    try:
        return [
            c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
            for p in range(partitions)
        ]
    finally:
        c.close()


@pytest.mark.parametrize("topic", ["__consumer_offsets", "__transaction_state"])
def test_a_client_cannot_append_to_an_internal_topic(shared_broker, topic):
    bs = shared_broker.bootstrap
    # A transactional producer makes the coordinator create __transaction_state.
    txn = Producer({"bootstrap.servers": bs, "transactional.id": f"internal-{topic}"})
    txn.init_transactions(10)
    before = _end_offsets(bs, topic, 3)

    errors: list[KafkaError | None] = []
    p = Producer({"bootstrap.servers": bs, "message.timeout.ms": 10000})
    for partition in range(3):
        # Well-formed enough to be replayed as group or transaction state, were it stored.
        p.produce(topic, key=b"\x00\x01\x00\x05group", value=b"\x00\x03forged",
                  partition=partition, on_delivery=lambda err, _msg: errors.append(err))
    assert p.flush(15) == 0

    assert [e.code() if e else None for e in errors] == [KafkaError.TOPIC_EXCEPTION] * 3
    assert _end_offsets(bs, topic, 3) == before


def test_only_the_coordinators_topics_are_flagged_internal(shared_broker):
    # Kafka flags __consumer_offsets and __transaction_state alone; a user's "__events" is an
    # ordinary topic (kafka-python, for one, will not produce to a topic flagged internal).
    bs = shared_broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic("__user-events", 1, 1)])["__user-events"].result(10)
    described = admin.describe_topics(TopicCollection(["__user-events", "__consumer_offsets"]))
    flags = {name: f.result(10).is_internal for name, f in described.items()}
    assert flags == {"__user-events": False, "__consumer_offsets": True}

    producer = KafkaProducer(bootstrap_servers=bs)
    try:
        sent = producer.send("__user-events", b"hello").get(10)
    finally:
        producer.close()
    assert (sent.topic, sent.offset) == ("__user-events", 0)
