from __future__ import annotations

import uuid

from broker.metadata import records as mr
from broker.metadata.changes import touched_topics
from broker.metadata.image import MetadataImage

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def image_of(*names_ids: tuple[str, uuid.UUID]) -> MetadataImage:
    image = MetadataImage()
    for name, tid in names_ids:
        image.apply(mr.TopicRecord(name, tid))
        image.apply(mr.PartitionRecord(tid, 0, (1,), (1,), 1))
    return image


def names(records, image) -> list[str]:
    return sorted(t.name for t in touched_topics(records, image))


def test_a_new_topic_touches_only_itself():
    image = image_of(("a", A), ("b", B), ("c", C))
    recs = [mr.TopicRecord("c", C), mr.PartitionRecord(C, 0, (1,), (1,), 1)]
    assert names(recs, image) == ["c"]


def test_topic_configs_and_partition_changes_touch_their_topics():
    image = image_of(("a", A), ("b", B), ("c", C))
    recs = [
        mr.ConfigRecord(mr.TOPIC_RESOURCE, "a", "retention.ms", "5"),
        mr.PartitionChangeRecord(B, 0, leader=1),
    ]
    assert names(recs, image) == ["a", "b"]


def test_records_without_a_live_topic_touch_nothing():
    image = image_of(("a", A))
    recs = [
        mr.ConfigRecord(mr.TOPIC_RESOURCE, "not-yet", "retention.ms", "5"),
        mr.RemoveTopicRecord(B),  # gone from the image: the broker deletes its partitions
        mr.ProducerIdsRecord(1, 1000),
    ]
    assert names(recs, image) == []


def test_a_broker_config_or_start_up_touches_every_topic():
    image = image_of(("a", A), ("b", B))
    assert names([mr.ConfigRecord(mr.BROKER_RESOURCE, "", "message.max.bytes", "10")], image) == [
        "a",
        "b",
    ]
    assert names([], image) == ["a", "b"]
