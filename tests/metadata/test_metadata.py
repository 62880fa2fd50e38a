from __future__ import annotations

import uuid

import pytest

from broker.config import DEFAULT_CONFIG, DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, load_config
from broker.errors import ErrorCode, KafkaError
from broker.metadata import records as mr
from broker.metadata.controller import Controller
from broker.metadata.store import MetadataStore, MetadataStoreError
from broker.metadata.topic_config import effective_topic_config


def open_controller(tmp_path, *overrides: str) -> Controller:
    cfg = load_config(None, list(overrides))
    return Controller(MetadataStore.open(tmp_path, node_id=1), cfg)


@pytest.mark.parametrize(
    "record",
    [
        mr.TopicRecord("orders", uuid.uuid4()),
        mr.PartitionRecord(uuid.uuid4(), 3, (1,), (1,), 1, 2, 0),
        mr.RemoveTopicRecord(uuid.uuid4()),
        mr.ConfigRecord(mr.TOPIC_RESOURCE, "orders", "retention.ms", None),
        mr.ProducerIdsRecord(1, 2000),
    ],
)
def test_records_round_trip(record):
    assert mr.decode(mr.encode(record)) == record


def test_topics_configs_and_producer_ids_survive_reopen(tmp_path):
    c = open_controller(tmp_path)
    topic = c.create_topic("orders", 3, 1, {"retention.ms": "1000", "cleanup.policy": "compact"})
    assert topic.topic_id.int != 0 and sorted(topic.partitions) == [0, 1, 2]
    c.create_partitions("orders", 5)
    c.alter_topic_configs(
        "orders", [("retention.ms", "DELETE", None), ("cleanup.policy", "APPEND", "delete")]
    )
    ids = [c.allocate_producer_id() for _ in range(3)]
    c.store.close()
    c2 = open_controller(tmp_path)
    t2 = c2.image.topics_by_name["orders"]
    assert t2.topic_id == topic.topic_id and len(t2.partitions) == 5
    assert t2.configs == {"cleanup.policy": "compact,delete"}
    assert c2.allocate_producer_id() > max(ids)
    assert c2.store.cluster_id == c.store.cluster_id


def test_delete_then_recreate_starts_clean(tmp_path):
    c = open_controller(tmp_path)
    first = c.create_topic("t", 1, 1, {"retention.ms": "5"})
    c.delete_topic("t")
    second = c.create_topic("t", 2, 1, {})
    assert second.topic_id != first.topic_id and second.configs == {}
    c.store.close()
    assert open_controller(tmp_path).image.topics_by_name["t"].configs == {}


@pytest.mark.parametrize(
    "args, code",
    [
        (("bad name", 1, 1, {}), ErrorCode.invalid_topic_exception),
        (("..", 1, 1, {}), ErrorCode.invalid_topic_exception),
        (("x" * 250, 1, 1, {}), ErrorCode.invalid_topic_exception),
        (("t", 0, 1, {}), ErrorCode.invalid_partitions),
        (("t", 1, 3, {}), ErrorCode.invalid_replication_factor),
        (("t", 1, 1, {"retention.ms": "soon"}), ErrorCode.invalid_config),
        (("t", 1, 1, {"nope": "1"}), ErrorCode.invalid_config),
        (("t", 1, 1, {"min.insync.replicas": "0"}), ErrorCode.invalid_config),
    ],
)
def test_create_topic_validation_codes(tmp_path, args, code):
    with pytest.raises(KafkaError) as e:
        open_controller(tmp_path).create_topic(*args)
    assert e.value.code == code and e.value.message


def test_existing_topic_fewer_partitions_and_disabled_deletion(tmp_path):
    c = open_controller(tmp_path, "delete.topic.enable=false")
    c.create_topic("t", 2, 1, {})
    for call, code in [
        (lambda: c.create_topic("t", 1, 1, {}), ErrorCode.topic_already_exists),
        (lambda: c.create_partitions("t", 2), ErrorCode.invalid_partitions),
        (lambda: c.delete_topic("t"), ErrorCode.topic_deletion_disabled),
        (lambda: c.create_partitions("missing", 4), ErrorCode.unknown_topic_or_partition),
    ]:
        with pytest.raises(KafkaError) as e:
            call()
        assert e.value.code == code


def test_validate_only_changes_nothing(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("v", 1, 1, {}, validate_only=True)
    assert "v" not in c.image.topics_by_name


def test_config_sources_and_synonyms(tmp_path):
    cfg = load_config(None, ["log.segment.bytes=4096"])
    entries = effective_topic_config({"retention.ms": "7"}, cfg)
    assert (entries["retention.ms"].value, entries["retention.ms"].source) == (
        "7",
        DYNAMIC_TOPIC_CONFIG,
    )
    assert [s.name for s in entries["retention.ms"].synonyms] == [
        "retention.ms",
        "log.retention.ms",
    ]
    assert (entries["segment.bytes"].value, entries["segment.bytes"].source) == (
        "4096",
        STATIC_BROKER_CONFIG,
    )
    assert (
        entries["cleanup.policy"].source == DEFAULT_CONFIG
        and entries["cleanup.policy"].value == "delete"
    )


def test_torn_metadata_tail_is_truncated(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("a", 1, 1, {})
    c.store.close()
    log_file = tmp_path / "__cluster_metadata-0" / f"{0:020d}.log"
    with open(log_file, "ab") as f:
        f.write(b"\x00" * 30)
    c2 = open_controller(tmp_path)
    assert "a" in c2.image.topics_by_name
    c2.create_topic("b", 1, 1, {})
    c2.store.close()
    assert set(open_controller(tmp_path).image.topics_by_name) == {"a", "b"}


def test_a_data_dir_of_another_node_is_refused(tmp_path):
    MetadataStore.open(tmp_path, node_id=1).close()
    with pytest.raises(MetadataStoreError, match="node 1"):
        MetadataStore.open(tmp_path, node_id=2)


def test_dynamic_broker_configs_persist(tmp_path):
    c = open_controller(tmp_path)
    c.alter_broker_configs("1", [("num.partitions", "SET", "4")])
    with pytest.raises(KafkaError) as e:
        c.alter_broker_configs("1", [("node.id", "SET", "4")])
    assert e.value.code == ErrorCode.invalid_config
    c.store.close()
    assert open_controller(tmp_path).config.get("num.partitions") == 4
