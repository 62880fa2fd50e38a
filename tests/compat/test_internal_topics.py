"""Clients may read the internal topics but never write to them, as in Apache Kafka."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition


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
