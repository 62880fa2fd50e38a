from __future__ import annotations

import json
import uuid

import pytest

from broker.metadata import records as mr

TID = uuid.uuid4()


@pytest.mark.parametrize(
    "record",
    [
        mr.TopicRecord("orders", TID),
        mr.PartitionRecord(TID, 3, (1,), (1,), 1, 2, 5),
        mr.PartitionChangeRecord(TID, 0, leader=mr.NO_LEADER, isr=()),
        mr.PartitionChangeRecord(TID, 0),
        mr.RemoveTopicRecord(TID),
        mr.ConfigRecord(mr.TOPIC_RESOURCE, "orders", "retention.ms", "1000"),
        mr.ConfigRecord(mr.BROKER_RESOURCE, "", "num.partitions", None),
        mr.ProducerIdsRecord(1, 2000),
        mr.FeatureLevelRecord("metadata.version", 7),
        mr.TopicRecord("ünïcode-is-not-legal-but-encodes", TID),
        mr.UserScramCredentialRecord("alice", 1, b"\x00salt\xff", b"stored", b"server", 4096),
        mr.RemoveUserScramCredentialRecord("alice", 2),
        mr.AccessControlEntryRecord(TID, 2, "orders-", 4, "User:bob", "*", 3, 3),
        mr.RemoveAccessControlEntryRecord(TID),
    ],
)
def test_records_round_trip(record):
    data = mr.encode(record)
    assert mr.decode(data) == record
    doc = json.loads(data)
    assert doc["type"] == type(record).__name__ and doc["version"] == mr.VERSION
    assert b": " not in data and b", " not in data  # compact separators


def test_fields_with_defaults_may_be_absent():
    data = json.dumps(
        {
            "type": "PartitionRecord",
            "version": 0,
            "data": {
                "topic_id": str(TID),
                "partition": 0,
                "replicas": [1],
                "isr": [1],
                "leader": 1,
            },
        }
    ).encode()
    assert mr.decode(data) == mr.PartitionRecord(TID, 0, (1,), (1,), 1, 0, 0)


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"type": "ZooKeeperRecord", "version": 0, "data": {}}, "unknown metadata record type"),
        ({"type": "TopicRecord", "version": 9, "data": {}}, "newer than this broker reads"),
        ({"type": "TopicRecord", "version": 0, "data": {"name": "t"}}, "lacks field topic_id"),
        (
            {"type": "TopicRecord", "version": 0, "data": {"name": 5, "topic_id": str(TID)}},
            "TopicRecord.name: 5 is not a str",
        ),
        (
            {"type": "RemoveTopicRecord", "version": 0, "data": {"topic_id": "nope"}},
            "is not a uuid.UUID",
        ),
        (
            {
                "type": "ProducerIdsRecord",
                "version": 0,
                "data": {"broker_id": 1, "next_producer_id": True},
            },
            "next_producer_id",
        ),
        ({"type": "TopicRecord"}, "lacks its type, version or data"),
        (
            {
                "type": "UserScramCredentialRecord",
                "version": 0,
                "data": {
                    "name": "alice",
                    "mechanism": 1,
                    "salt": "not base64!",
                    "stored_key": "",
                    "server_key": "",
                    "iterations": 4096,
                },
            },
            "UserScramCredentialRecord.salt",
        ),
    ],
)
def test_unreadable_records_raise_a_clear_error(doc, message):
    with pytest.raises(mr.MetadataRecordError, match=message):
        mr.decode(json.dumps(doc).encode())


def test_bytes_that_are_not_json_raise():
    with pytest.raises(mr.MetadataRecordError, match="not JSON"):
        mr.decode(b"\x00\xff")


def test_only_metadata_records_encode():
    with pytest.raises(mr.MetadataRecordError):
        mr.encode(object())  # type: ignore[arg-type]
