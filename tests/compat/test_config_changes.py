"""Config changes reach the partitions that are already open, with the real broker.

A commit re-reads the settings of only the topics it names, so these pin down the cases that
must still reach every partition: a broker default changed at runtime applies to each topic
without an override, and a topic override applies to that topic alone.
"""

from __future__ import annotations

import uuid

from confluent_kafka import (
    TIMESTAMP_LOG_APPEND_TIME,
    Consumer,
    KafkaError,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from tests.harness import wait_for

VALUE = b"v" * 5000


def produce_error(bs: str, topic: str) -> KafkaError | None:
    """The delivery error of one 5,000-byte record (None when stored)."""
    errors: list = []
    p = Producer({"bootstrap.servers": bs, "linger.ms": 0, "message.send.max.retries": 0})
    p.produce(topic, VALUE, partition=0, on_delivery=lambda err, _m: errors.append(err))
    assert p.flush(15) == 0
    return errors[0]


def alter(admin: AdminClient, rtype: ResourceType, name: str, key: str, value: str) -> None:
    res = ConfigResource(
        rtype,
        name,
        incremental_configs=[ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)],
    )
    admin.incremental_alter_configs([res])[res].result(15)


def test_broker_and_topic_config_changes_reach_open_partitions(broker):
    bs = broker.bootstrap
    admin = AdminClient({"bootstrap.servers": bs})
    plain, tuned = (f"{n}-{uuid.uuid4().hex[:6]}" for n in ("plain", "tuned"))
    for t in (plain, tuned):
        admin.create_topics([NewTopic(t, 2, 1)])[t].result(15)
    assert produce_error(bs, plain) is None

    alter(admin, ResourceType.BROKER, "1", "message.max.bytes", "3000")
    for t in (plain, tuned):  # both follow the broker's new default
        err = wait_for(lambda t=t: produce_error(bs, t), timeout=15, what=f"{t} to refuse")
        assert err.code() == KafkaError.MSG_SIZE_TOO_LARGE

    alter(admin, ResourceType.TOPIC, tuned, "max.message.bytes", "100000")
    alter(admin, ResourceType.TOPIC, tuned, "message.timestamp.type", "LogAppendTime")
    assert produce_error(bs, tuned) is None
    assert produce_error(bs, plain).code() == KafkaError.MSG_SIZE_TOO_LARGE

    # a later topic creation leaves the settings of the others as they are
    other = f"other-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(other, 1, 1)])[other].result(15)
    assert produce_error(bs, tuned) is None
    assert produce_error(bs, plain).code() == KafkaError.MSG_SIZE_TOO_LARGE

    c = Consumer({"bootstrap.servers": bs, "group.id": "settings", "enable.auto.commit": False})
    c.assign([TopicPartition(tuned, 0, 0)])
    stamps = []

    def read_two() -> bool:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            stamps.append(m.timestamp()[0])
        return len(stamps) == 2

    wait_for(read_two, timeout=15, what="both records of the tuned topic")
    c.close()
    assert stamps == [TIMESTAMP_LOG_APPEND_TIME] * 2
