from __future__ import annotations

import uuid
from dataclasses import fields

import pytest

from broker.metadata import records as mr
from broker.metadata.image import MetadataImage

A, B = uuid.uuid4(), uuid.uuid4()


def image_with_topic() -> MetadataImage:
    image = MetadataImage()
    for rec in [
        mr.TopicRecord("a", A),
        mr.ConfigRecord(mr.TOPIC_RESOURCE, "a", "retention.ms", "5"),
        mr.PartitionRecord(A, 0, (1,), (1,), 1),
        mr.PartitionRecord(A, 1, (1,), (1,), 1),
    ]:
        image.apply(rec)
    return image


def test_topics_are_found_by_name_and_id_with_partitions_and_configs():
    image = image_with_topic()
    topic = image.topics_by_name["a"]
    assert image.topics_by_id[A] is topic
    assert sorted(topic.partitions) == [0, 1] and topic.partitions[1].leader == 1
    assert topic.configs == {"retention.ms": "5"}
    image.apply(mr.ConfigRecord(mr.TOPIC_RESOURCE, "a", "retention.ms", None))
    assert topic.configs == {}


def test_configs_may_precede_their_topic_and_die_with_it():
    image = MetadataImage()
    image.apply(mr.ConfigRecord(mr.TOPIC_RESOURCE, "b", "cleanup.policy", "compact"))
    image.apply(mr.TopicRecord("b", B))
    assert image.topics_by_name["b"].configs == {"cleanup.policy": "compact"}
    image.apply(mr.RemoveTopicRecord(B))
    assert image.topics_by_name == {} and image.topics_by_id == {}
    image.apply(mr.TopicRecord("b", A))
    assert image.topics_by_name["b"].configs == {}


def test_partition_change_bumps_epochs():
    image = image_with_topic()
    image.apply(mr.PartitionChangeRecord(A, 0, isr=(1, 2), replicas=(1, 2)))
    p = image.topics_by_name["a"].partitions[0]
    assert (p.isr, p.replicas, p.leader_epoch, p.partition_epoch) == ((1, 2), (1, 2), 0, 1)
    image.apply(mr.PartitionChangeRecord(A, 0, leader=2))
    assert (p.leader, p.leader_epoch, p.partition_epoch) == (2, 1, 2)
    image.apply(mr.PartitionChangeRecord(A, 0, leader=2))  # same leader: no new leader epoch
    assert (p.leader_epoch, p.partition_epoch) == (1, 3)


def test_broker_configs_producer_ids_and_features():
    image = MetadataImage()
    image.apply(mr.ConfigRecord(mr.BROKER_RESOURCE, "", "num.partitions", "3"))
    image.apply(mr.ConfigRecord(mr.BROKER_RESOURCE, "1", "num.partitions", "4"))
    assert image.broker_configs == {"": {"num.partitions": "3"}, "1": {"num.partitions": "4"}}
    image.apply(mr.ConfigRecord(mr.BROKER_RESOURCE, "", "num.partitions", None))
    assert image.broker_configs == {"1": {"num.partitions": "4"}}
    image.apply(mr.ProducerIdsRecord(1, 1000))
    assert image.next_producer_id == 1000
    image.apply(mr.FeatureLevelRecord("metadata.version", 3))
    assert image.features == {"metadata.version": 3}
    image.apply(mr.FeatureLevelRecord("metadata.version", 0))
    assert image.features == {}


def test_scram_credentials_and_acls():
    image = MetadataImage()
    sha256 = mr.UserScramCredentialRecord("alice", 1, b"s", b"k1", b"k2", 4096)
    sha512 = mr.UserScramCredentialRecord("alice", 2, b"s", b"k3", b"k4", 8192)
    image.apply(sha256)
    image.apply(sha512)
    replaced = mr.UserScramCredentialRecord("alice", 1, b"t", b"k5", b"k6", 4096)
    image.apply(replaced)  # a new password replaces the old credential
    assert image.scram_credentials == {"alice": {1: replaced, 2: sha512}}
    image.apply(mr.RemoveUserScramCredentialRecord("alice", 1))
    image.apply(mr.RemoveUserScramCredentialRecord("alice", 2))
    assert image.scram_credentials == {}
    acl = mr.AccessControlEntryRecord(B, 2, "orders", 3, "User:bob", "*", 3, 3)
    image.apply(acl)
    assert image.acls == {B: acl}
    image.apply(mr.RemoveAccessControlEntryRecord(B))
    assert image.acls == {}


@pytest.mark.parametrize(
    "record, message",
    [
        (mr.TopicRecord("a", B), "topic a exists already"),
        (mr.TopicRecord("z", A), "taken or zero"),
        (mr.TopicRecord("z", uuid.UUID(int=0)), "taken or zero"),
        (mr.PartitionRecord(B, 0, (1,), (1,), 1), "no topic with id"),
        (mr.PartitionRecord(A, 1, (1,), (1,), 1), "partition 1 of a exists"),
        (mr.PartitionChangeRecord(A, 7, leader=1), "partition 7 of a does not exist"),
        (mr.RemoveTopicRecord(B), "no topic with id"),
        (mr.ProducerIdsRecord(1, 0), "below"),
        (mr.RemoveUserScramCredentialRecord("nobody", 1), "user nobody has no credential"),
        (mr.AccessControlEntryRecord(A, 2, "a", 3, "User:x", "*", 3, 3), "exists already"),
        (mr.RemoveAccessControlEntryRecord(B), "no ACL with id"),
    ],
)
def test_records_that_do_not_fit_are_refused_without_change(record, message):
    image = image_with_topic()
    image.apply(mr.ProducerIdsRecord(1, 1000))
    image.apply(mr.AccessControlEntryRecord(A, 2, "a", 3, "User:x", "*", 3, 3))
    before = image.copy()
    with pytest.raises(mr.MetadataRecordError, match=message):
        image.apply(record)
    assert image == before


def test_copy_is_independent_and_keeps_configs_shared_with_topics():
    image = image_with_topic()
    clone = image.copy()
    clone.apply(mr.ConfigRecord(mr.TOPIC_RESOURCE, "a", "retention.ms", "9"))
    assert clone.topics_by_name["a"].configs == {"retention.ms": "9"}
    assert image.topics_by_name["a"].configs == {"retention.ms": "5"}


def test_copy_covers_every_kind_of_state_and_shares_nothing_mutable():
    image = image_with_topic()
    for rec in [
        mr.ConfigRecord(mr.BROKER_RESOURCE, "", "log.retention.ms", "7"),
        mr.ProducerIdsRecord(1, 1000),
        mr.FeatureLevelRecord("metadata.version", 7),
        mr.UserScramCredentialRecord("u", 1, b"s", b"k", b"v", 4096),
        mr.AccessControlEntryRecord(A, 2, "a", 3, "User:x", "*", 3, 3),
        mr.ClientQuotaRecord((("user", "u"),), "producer_byte_rate", 1024.0),
        mr.ConfigRecord(mr.GROUP_RESOURCE, "g", "consumer.session.timeout.ms", "50000"),
    ]:
        image.apply(rec)
    # a new field must be copied too: this list is the reminder
    assert [f.name for f in fields(MetadataImage)] == [
        "topics_by_name",
        "topics_by_id",
        "broker_configs",
        "next_producer_id",
        "features",
        "topic_configs",
        "scram_credentials",
        "acls",
        "client_quotas",
        "group_configs",
    ]
    before = image.copy()
    assert before == image
    clone = image.copy()
    assert clone.topics_by_id[A] is clone.topics_by_name["a"]
    for rec in [
        mr.PartitionChangeRecord(A, 0, leader=2, isr=(2,), replicas=(2,)),
        mr.PartitionRecord(A, 2, (1,), (1,), 1),
        mr.ConfigRecord(mr.BROKER_RESOURCE, "", "log.retention.ms", "8"),
        mr.ProducerIdsRecord(1, 2000),
        mr.FeatureLevelRecord("metadata.version", 8),
        mr.UserScramCredentialRecord("u", 2, b"s", b"k", b"v", 4096),
        mr.RemoveAccessControlEntryRecord(A),
        mr.ClientQuotaRecord((("user", "u"),), "consumer_byte_rate", 2048.0),
        mr.ConfigRecord(mr.GROUP_RESOURCE, "g", "consumer.session.timeout.ms", "55000"),
        mr.RemoveTopicRecord(A),
    ]:
        clone.apply(rec)
    assert image == before
