from __future__ import annotations

import os
import uuid

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.metadata.controller import PRODUCER_ID_BLOCK

from .helpers import log_file, open_controller


def error_of(call) -> KafkaError:
    with pytest.raises(KafkaError) as e:
        call()
    assert e.value.message and "\n" not in e.value.message
    return e.value


def test_create_topic_with_defaults_and_configs(tmp_path):
    c = open_controller(tmp_path, "num.partitions=3")
    topic = c.create_topic("orders", -1, -1, {"cleanup.policy": "compact, delete"})
    assert topic.topic_id.int != 0 and topic.topic_id.version == 4
    assert sorted(topic.partitions) == [0, 1, 2]
    p = topic.partitions[0]
    assert (p.replicas, p.isr, p.leader, p.leader_epoch) == ((1,), (1,), 1, 0)
    assert topic.configs == {"cleanup.policy": "compact,delete"}
    assert c.image.topics_by_id[topic.topic_id] is topic


def test_topics_configs_and_producer_ids_survive_reopen(tmp_path):
    c = open_controller(tmp_path)
    topic = c.create_topic("orders", 3, 1, {"retention.ms": "1000", "cleanup.policy": "compact"})
    c.create_partitions("orders", 5)
    c.alter_topic_configs(
        "orders", [("retention.ms", "DELETE", None), ("cleanup.policy", "APPEND", "delete")]
    )
    c.store.close()
    c2 = open_controller(tmp_path)
    t2 = c2.image.topics_by_name["orders"]
    assert t2.topic_id == topic.topic_id and len(t2.partitions) == 5
    assert t2.configs == {"cleanup.policy": "compact,delete"}


def test_delete_by_name_or_id_then_recreate_starts_clean(tmp_path):
    c = open_controller(tmp_path)
    first = c.create_topic("t", 1, 1, {"retention.ms": "5"})
    assert c.delete_topic("t").topic_id == first.topic_id
    second = c.create_topic("t", 2, 1, {})
    assert second.topic_id != first.topic_id and second.configs == {}
    c.delete_topic(second.topic_id)
    assert c.image.topics_by_name == {}
    assert error_of(lambda: c.delete_topic(uuid.uuid4())).code == ErrorCode.unknown_topic_id
    assert error_of(lambda: c.delete_topic("t")).code == ErrorCode.unknown_topic_or_partition
    c.store.close()
    assert open_controller(tmp_path).image.topics_by_name == {}


@pytest.mark.parametrize(
    "args, kwargs, code, message",
    [
        (("bad name", 1, 1), {}, ErrorCode.invalid_topic_exception, "may contain only"),
        (("", 1, 1), {}, ErrorCode.invalid_topic_exception, "empty"),
        (("..", 1, 1), {}, ErrorCode.invalid_topic_exception, "reserved"),
        (("x" * 250, 1, 1), {}, ErrorCode.invalid_topic_exception, "limit is 249"),
        (("__cluster_metadata", 1, 1), {}, ErrorCode.invalid_request, "prohibited"),
        (("t", 0, 1), {}, ErrorCode.invalid_partitions, "at least 1"),
        (("t", -2, 1), {}, ErrorCode.invalid_partitions, "at least 1"),
        (("t", 10_001, 1), {}, ErrorCode.invalid_partitions, "more than"),
        (("t", 1, 0), {}, ErrorCode.invalid_replication_factor, "at least 1"),
        (
            ("t", 1, 3),
            {},
            ErrorCode.invalid_replication_factor,
            "replication factor 3 is larger than the 1 available broker",
        ),
        (("t", 1, 1, {"retention.ms": "soon"}), {}, ErrorCode.invalid_config, "retention.ms"),
        (("t", 1, 1, {"nope": "1"}), {}, ErrorCode.invalid_config, "unknown topic config"),
        (("t", 1, 1, {"min.insync.replicas": "0"}), {}, ErrorCode.invalid_config, "at least 1"),
        (("t", 1, 1, {"retention.ms": None}), {}, ErrorCode.invalid_config, "null"),
        (
            ("t", 1, 1, {"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}),
            {},
            ErrorCode.invalid_config,
            "larger than max.compaction.lag.ms",
        ),
        (("t", 1, -1), {"assignments": {0: [1]}}, ErrorCode.invalid_request, "not both"),
        (("t",), {"assignments": {0: [1], 2: [1]}}, ErrorCode.invalid_replica_assignment, "0..n"),
        (("t",), {"assignments": {0: [2]}}, ErrorCode.invalid_replica_assignment, "broker 1"),
    ],
)
def test_create_topic_validation_codes(tmp_path, args, kwargs, code, message):
    c = open_controller(tmp_path)
    e = error_of(lambda: c.create_topic(*args, **kwargs))
    assert e.code == code and message in e.message
    assert c.image.topics_by_name == {} and not log_file(tmp_path).read_bytes()


def test_internal_topic_names_may_be_created(tmp_path):
    c = open_controller(tmp_path)
    assert len(c.create_topic("__consumer_offsets", 50, 1, {}).partitions) == 50


def test_assignments_set_the_partitions(tmp_path):
    c = open_controller(tmp_path)
    topic = c.create_topic("t", assignments={0: [1], 1: [1]})
    assert sorted(topic.partitions) == [0, 1]


def test_names_that_collide_on_dot_and_underscore_are_refused(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("a.b", 1, 1)
    e = error_of(lambda: c.create_topic("a_b", 1, 1))
    assert e.code == ErrorCode.invalid_topic_exception and "collides with" in e.message


def test_existing_topic_fewer_partitions_and_disabled_deletion(tmp_path):
    c = open_controller(tmp_path, "delete.topic.enable=false")
    c.create_topic("t", 2, 1, {})
    for call, code, text in [
        (lambda: c.create_topic("t", 1, 1, {}), ErrorCode.topic_already_exists, "exists"),
        (lambda: c.create_partitions("t", 2), ErrorCode.invalid_partitions, "already has 2"),
        (lambda: c.create_partitions("t", 1), ErrorCode.invalid_partitions, "only be increased"),
        (lambda: c.delete_topic("t"), ErrorCode.topic_deletion_disabled, "delete.topic.enable"),
        (
            lambda: c.create_partitions("missing", 4),
            ErrorCode.unknown_topic_or_partition,
            "missing",
        ),
        (
            lambda: c.create_partitions("t", 4, assignments=[[1]]),
            ErrorCode.invalid_replica_assignment,
            "1 assignments for 2",
        ),
    ]:
        e = error_of(call)
        assert e.code == code and text in e.message
    assert len(c.image.topics_by_name["t"].partitions) == 2


def test_validate_only_changes_nothing(tmp_path):
    c = open_controller(tmp_path)
    dry = c.create_topic("v", 3, 1, {"retention.ms": "5"}, validate_only=True)
    assert len(dry.partitions) == 3 and dry.configs == {"retention.ms": "5"}
    assert "v" not in c.image.topics_by_name
    c.create_topic("v", 1, 1)
    assert len(c.create_partitions("v", 4, validate_only=True).partitions) == 4
    c.alter_topic_configs("v", [("retention.ms", "SET", "9")], validate_only=True)
    c.replace_topic_configs("v", {"retention.ms": "9"}, validate_only=True)
    c.alter_broker_configs("1", [("num.partitions", "SET", "9")], validate_only=True)
    topic = c.image.topics_by_name["v"]
    assert len(topic.partitions) == 1 and topic.configs == {}
    assert c.config.get("num.partitions") == 1 and c.image.broker_configs == {}
    assert c.store.next_offset == 2


def test_incremental_topic_config_operations(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("t", 1, 1, {"retention.ms": "5"})
    # APPEND with no override starts from the effective value (the broker's "delete").
    assert c.alter_topic_configs("t", [("cleanup.policy", "APPEND", "compact")]) == {
        "retention.ms": "5",
        "cleanup.policy": "delete,compact",
    }
    c.alter_topic_configs(
        "t", [("cleanup.policy", "SUBTRACT", "delete"), ("segment.bytes", "SET", "1024")]
    )
    assert c.image.topics_by_name["t"].configs == {
        "retention.ms": "5",
        "cleanup.policy": "compact",
        "segment.bytes": "1024",
    }
    for ops, code, text in [
        ([("retention.ms", "APPEND", "1")], ErrorCode.invalid_config, "only to list configs"),
        ([("cleanup.policy", "SUBTRACT", "compact")], ErrorCode.invalid_config, "at least one"),
        ([("retention.ms", "SET", None)], ErrorCode.invalid_request, "needs a value"),
        ([("a", "SET", "1"), ("a", "DELETE", None)], ErrorCode.invalid_request, "twice"),
        ([("retention.ms", "MULTIPLY", "2")], ErrorCode.invalid_request, "unknown config op"),
        ([("nope", "DELETE", None)], ErrorCode.invalid_config, "unknown topic config"),
        ([("retention.ms", "SET", "x")], ErrorCode.invalid_config, "not a valid long"),
    ]:
        e = error_of(lambda ops=ops: c.alter_topic_configs("t", ops))
        assert e.code == code and text in e.message, (ops, e)
    assert c.image.topics_by_name["t"].configs["cleanup.policy"] == "compact"
    e = error_of(lambda: c.alter_topic_configs("nope", []))
    assert e.code == ErrorCode.unknown_topic_or_partition


def test_legacy_alter_configs_replaces_the_whole_set(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("t", 1, 1, {"retention.ms": "5", "segment.bytes": "1024"})
    assert c.replace_topic_configs("t", {"cleanup.policy": "compact"}) == {
        "cleanup.policy": "compact"
    }
    assert c.image.topics_by_name["t"].configs == {"cleanup.policy": "compact"}
    e = error_of(lambda: c.replace_topic_configs("t", {"segment.bytes": "1"}))
    assert e.code == ErrorCode.invalid_config
    assert c.image.topics_by_name["t"].configs == {"cleanup.policy": "compact"}


def test_dynamic_broker_configs_persist_per_broker_and_cluster_wide(tmp_path):
    c = open_controller(tmp_path, "num.partitions=2")
    c.alter_broker_configs("", [("num.partitions", "SET", "3")])
    assert c.config.get("num.partitions") == 3
    c.alter_broker_configs(
        "1", [("num.partitions", "SET", "4"), ("log.cleanup.policy", "APPEND", "compact")]
    )
    assert c.config.get("num.partitions") == 4
    assert c.config.get("log.cleanup.policy") == ["delete", "compact"]
    assert len(c.create_topic("auto").partitions) == 4
    for ops, code, text in [
        ([("node.id", "SET", "4")], ErrorCode.invalid_config, "cannot be changed"),
        ([("num.partitions", "SET", "0")], ErrorCode.invalid_config, "at least 1"),
        ([("nope", "SET", "1")], ErrorCode.invalid_config, "unknown broker config"),
        ([("num.partitions", "APPEND", "1")], ErrorCode.invalid_config, "only to list"),
    ]:
        e = error_of(lambda ops=ops: c.alter_broker_configs("1", ops))
        assert e.code == code and text in e.message
    e = error_of(lambda: c.alter_broker_configs("7", [("num.partitions", "SET", "5")]))
    assert e.code == ErrorCode.invalid_request and "this is broker 1" in e.message
    c.store.close()

    c2 = open_controller(tmp_path, "num.partitions=2")
    assert c2.config.get("num.partitions") == 4
    assert c2.config.dynamic_default == {"num.partitions": 3}
    c2.replace_broker_configs("1", {})
    assert c2.config.get("num.partitions") == 3
    c2.alter_broker_configs("", [("num.partitions", "DELETE", None)])
    assert c2.config.get("num.partitions") == 2


def test_stored_dynamic_config_this_version_cannot_use_is_skipped(tmp_path, caplog):
    from broker.metadata import records as mr

    c = open_controller(tmp_path)
    c.store.commit([mr.ConfigRecord(mr.BROKER_RESOURCE, "1", "future.key", "1")])
    c.store.close()
    c2 = open_controller(tmp_path)
    assert "ignoring stored dynamic broker config future.key" in caplog.text
    assert c2.config.dynamic == {}


def test_producer_ids_never_repeat_across_restarts(tmp_path):
    c = open_controller(tmp_path)
    ids = [c.allocate_producer_id() for _ in range(PRODUCER_ID_BLOCK + 5)]
    assert ids == list(range(PRODUCER_ID_BLOCK + 5))
    assert c.store.next_offset == 2  # one record per block, not per id
    c.store.close()
    c2 = open_controller(tmp_path)
    after = c2.allocate_producer_id()
    assert after == 2 * PRODUCER_ID_BLOCK  # the rest of the block in use is skipped
    c2.store.close()
    assert open_controller(tmp_path).allocate_producer_id() == 3 * PRODUCER_ID_BLOCK


def test_a_failed_metadata_write_is_a_storage_error(tmp_path, monkeypatch):
    c = open_controller(tmp_path)

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    e = error_of(lambda: c.create_topic("t", 1, 1))
    assert e.code == ErrorCode.kafka_storage_error and "No space" in e.message
    assert "t" not in c.image.topics_by_name


def test_internal_topics_cannot_be_deleted(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("__consumer_offsets", 1, 1, {})
    with pytest.raises(KafkaError) as e:
        c.delete_topic("__consumer_offsets")
    assert e.value.code == ErrorCode.invalid_topic_exception
    assert "__consumer_offsets" in c.image.topics_by_name
