"""A consumer group's own configs (GROUP config resource, KIP-848), without a broker process:
validation, how they are described, the metadata records that keep them, and the KIP-848
coordinator using them."""

from __future__ import annotations

import uuid

import pytest

from broker.config import DEFAULT_CONFIG, load_config
from broker.errors import ErrorCode, KafkaError
from broker.group.consumer.coordinator import HeartbeatRequest
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator
from broker.group.group_configs import (
    GROUP_CONFIG,
    HEARTBEAT_INTERVAL,
    SESSION_TIMEOUT,
    describe,
    validate,
)
from broker.metadata import records as mr
from broker.metadata.changes import touched_topics
from broker.metadata.controller import Controller
from broker.metadata.image import MetadataImage
from broker.metadata.store import MetadataStore
from tests.group.fakes import FakeScheduler, MemoryLog
from tests.group.test_consumer_coordinator import TOPICS, beat, join

BROKER = load_config(None, [])  # Kafka's bounds: session 45-60 s, heartbeat 5-15 s


def invalid(overrides: dict[str, str]) -> str:
    with pytest.raises(KafkaError) as e:
        validate(overrides, BROKER)
    assert e.value.code is ErrorCode.invalid_config
    return e.value.message or ""


def test_validation_follows_kafkas_group_config_rules():
    assert validate({SESSION_TIMEOUT: " 50000", HEARTBEAT_INTERVAL: "6000"}, BROKER) == {
        SESSION_TIMEOUT: "50000",
        HEARTBEAT_INTERVAL: "6000",
    }
    assert "unknown group config 'share.session.timeout.ms'" in invalid(
        {"share.session.timeout.ms": "50000"}
    )
    assert "unknown group config" in invalid({"streams.num.standby.replicas": "1"})
    assert "not a valid int" in invalid({SESSION_TIMEOUT: "soon"})
    assert "not a valid int" in invalid({SESSION_TIMEOUT: str(2**31)})
    assert "at least 1" in invalid({HEARTBEAT_INTERVAL: "0"})
    assert "below group.consumer.min.session.timeout.ms (45000)" in invalid(
        {SESSION_TIMEOUT: "44999"}
    )
    assert "above group.consumer.max.heartbeat.interval.ms (15000)" in invalid(
        {HEARTBEAT_INTERVAL: "15001"}
    )
    # the session timeout must stay above the interval, the broker's values filling in
    lenient = load_config(
        None,
        [
            "group.consumer.min.session.timeout.ms=1000",
            "group.consumer.max.heartbeat.interval.ms=9000",
        ],
    )
    assert validate({SESSION_TIMEOUT: "6000"}, lenient) == {SESSION_TIMEOUT: "6000"}
    with pytest.raises(KafkaError, match=r"session.timeout.ms \(5000\) must be greater"):
        validate({SESSION_TIMEOUT: "5000"}, lenient)  # the broker's interval is 5000
    with pytest.raises(KafkaError, match="must be greater"):
        validate({SESSION_TIMEOUT: "8000", HEARTBEAT_INTERVAL: "8000"}, lenient)


def test_describe_shows_the_broker_values_until_the_group_sets_its_own():
    fast = load_config(None, ["group.consumer.heartbeat.interval.ms=700"])
    entries = describe({}, fast)
    assert sorted(entries) == [HEARTBEAT_INTERVAL, SESSION_TIMEOUT]
    hb = entries[HEARTBEAT_INTERVAL]
    assert (hb.value, hb.source, hb.is_default, hb.read_only, hb.config_type) == (
        "700",
        DEFAULT_CONFIG,
        True,
        False,
        3,  # INT
    )
    assert [(s.name, s.value, s.source) for s in hb.synonyms] == [
        (HEARTBEAT_INTERVAL, "700", DEFAULT_CONFIG)
    ]
    assert hb.documentation
    own = describe({SESSION_TIMEOUT: "50000"}, fast)[SESSION_TIMEOUT]
    assert (own.value, own.source, own.is_default) == ("50000", GROUP_CONFIG, False)
    assert [(s.value, s.source) for s in own.synonyms] == [("50000", GROUP_CONFIG)]


def test_group_config_records_replay_and_touch_no_topic():
    image = MetadataImage()
    topic = mr.TopicRecord("g1", uuid.uuid4())  # a topic named like the group
    image.apply(topic)
    rec = mr.ConfigRecord(mr.GROUP_RESOURCE, "g1", SESSION_TIMEOUT, "50000")
    assert mr.decode(mr.encode(rec)) == rec
    image.apply(rec)
    assert image.group_configs == {"g1": {SESSION_TIMEOUT: "50000"}}
    assert image.topic_configs["g1"] == {}  # not the topic's
    assert list(touched_topics([rec], image)) == []
    copy = image.copy()
    copy.apply(mr.ConfigRecord(mr.GROUP_RESOURCE, "g1", SESSION_TIMEOUT, None))
    assert copy.group_configs == {} and image.group_configs == {"g1": {SESSION_TIMEOUT: "50000"}}


def test_the_controller_commits_only_valid_changes_and_keeps_them(tmp_path):
    store = MetadataStore.open(tmp_path, node_id=1)
    ctl = Controller(store, load_config(None, []))
    ctl.alter_group_configs("g", [(SESSION_TIMEOUT, "SET", "50000")])
    assert ctl.alter_group_configs(
        "g", [(HEARTBEAT_INTERVAL, "SET", "6000")], validate_only=True
    ) == {SESSION_TIMEOUT: "50000", HEARTBEAT_INTERVAL: "6000"}
    for ops, code in [
        ([(HEARTBEAT_INTERVAL, "APPEND", "6000")], ErrorCode.invalid_config),
        ([(HEARTBEAT_INTERVAL, "SUBTRACT", "6000")], ErrorCode.invalid_config),
        ([(HEARTBEAT_INTERVAL, "SET", None)], ErrorCode.invalid_request),
        ([(SESSION_TIMEOUT, "SET", "1")], ErrorCode.invalid_config),
        ([(SESSION_TIMEOUT, "DELETE", None), (SESSION_TIMEOUT, "SET", "50000")],
         ErrorCode.invalid_request),
    ]:  # fmt: skip
        with pytest.raises(KafkaError) as e:
            ctl.alter_group_configs("g", ops)
        assert e.value.code is code, ops
    with pytest.raises(KafkaError) as e:
        ctl.alter_group_configs("", [(SESSION_TIMEOUT, "SET", "50000")])
    assert e.value.code is ErrorCode.invalid_request
    # legacy AlterConfigs replaces the whole set
    ctl.replace_group_configs("g", {HEARTBEAT_INTERVAL: "7000"})
    assert store.image.group_configs == {"g": {HEARTBEAT_INTERVAL: "7000"}}
    store.close()
    reopened = MetadataStore.open(tmp_path, node_id=1)
    assert reopened.image.group_configs == {"g": {HEARTBEAT_INTERVAL: "7000"}}
    ctl = Controller(reopened, load_config(None, []))
    ctl.alter_group_configs("g", [(HEARTBEAT_INTERVAL, "DELETE", None)])
    assert reopened.image.group_configs == {}
    reopened.close()


def test_the_coordinator_answers_the_groups_interval_and_times_out_its_session():
    own: dict[str, dict[str, str]] = {"g": {SESSION_TIMEOUT: "2000", HEARTBEAT_INTERVAL: "250"}}
    clock, store = FakeScheduler(), MemoryLog()
    coord = GroupCoordinator(CoordinatorConfig(), clock, store, own.get)
    joined = join(coord, "a")
    assert joined.heartbeat_interval_ms == 250
    # a group without configs of its own keeps the broker's
    other = coord.consumer.heartbeat(
        HeartbeatRequest("other", "x", 0, rebalance_timeout_ms=30000, owned={}, topic_names=("t",)),
        TOPICS,
    )
    assert other.heartbeat_interval_ms == 5000
    clock.advance(1900)
    assert beat(coord, "a", joined.member_epoch).error is ErrorCode.none
    clock.advance(1900)  # 3.8 s after joining, 1.9 s after the last heartbeat: still in
    assert "a" in coord.consumer.groups["g"].members
    clock.advance(200)
    assert "a" not in coord.consumer.groups["g"].members  # the group's 2 s, not 45 s

    # members replayed at start-up get the group's session too, before any heartbeat
    join(coord, "b")
    coord.stop()
    again = GroupCoordinator(CoordinatorConfig(), clock, store, own.get)
    again.load()
    assert "b" in again.consumer.groups["g"].members
    clock.advance(2100)
    assert "b" not in again.consumer.groups["g"].members

    # deleting the group's configs brings the broker's back at once
    del own["g"]
    rejoined = join(again, "c")
    assert rejoined.heartbeat_interval_ms == 5000
    clock.advance(40_000)
    assert "c" in again.consumer.groups["g"].members
