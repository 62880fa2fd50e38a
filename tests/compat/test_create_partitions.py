"""CreatePartitions with a client-chosen placement: checked as Kafka checks it, not ignored."""

from __future__ import annotations

import uuid

import pytest


def _admin(bootstrap: str):
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap})


def _create(admin, partitions: int) -> str:
    from confluent_kafka.admin import NewTopic

    topic = f"grow-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(15)
    return topic


def _partitions(admin, topic: str) -> int:
    return len(admin.list_topics(topic, timeout=10).topics[topic].partitions)


@pytest.mark.parametrize(
    "assignment",
    [[[7]], [[1, 1]], [[1], [1]]],
    ids=["unknown broker", "duplicate replica", "more lists than new partitions"],
)
def test_a_bad_placement_is_refused(shared_broker, assignment):
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewPartitions

    admin = _admin(shared_broker.bootstrap)
    topic = _create(admin, 1)
    future = admin.create_partitions([NewPartitions(topic, 2, replica_assignment=assignment)])
    with pytest.raises(KafkaException) as raised:
        future[topic].result(15)
    assert raised.value.args[0].code() == KafkaError.INVALID_REPLICA_ASSIGNMENT
    assert _partitions(admin, topic) == 1


def test_a_placement_on_this_broker_is_applied(shared_broker):
    from confluent_kafka.admin import NewPartitions

    admin = _admin(shared_broker.bootstrap)
    topic = _create(admin, 1)
    node = admin.describe_cluster().result(15).nodes[0].id
    future = admin.create_partitions([NewPartitions(topic, 3, replica_assignment=[[node]] * 2)])
    future[topic].result(15)
    assert _partitions(admin, topic) == 3
