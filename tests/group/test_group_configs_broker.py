"""A consumer group's own configs (GROUP config resource, KIP-848) on the running broker:
confluent-kafka's admin client and raw frames describe and change them, KIP-848 members
heartbeat and time out by them, they survive a restart, and ACLs guard them per group."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewTopic,
    ResourceType,
)
from kio.schema.alter_configs.v2 import request as legacy
from kio.schema.consumer_group_describe.v0.request import ConsumerGroupDescribeRequest
from kio.schema.consumer_group_heartbeat.v1.request import ConsumerGroupHeartbeatRequest
from kio.schema.describe_configs.v4.request import DescribeConfigsRequest, DescribeConfigsResource

from broker.errors import ErrorCode
from tests.harness import wait_for
from tests.security.acl_helpers import admin as cached_admin
from tests.security.acl_helpers import (
    binding,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)
from tests.wire import WireClient

GROUP = 32
SESSION, INTERVAL = "consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"
# bounds low enough for a test to see a group's session end within seconds
BOUNDS = [
    "--set",
    "group.consumer.min.session.timeout.ms=1000",
    "--set",
    "group.consumer.min.heartbeat.interval.ms=100",
]


def unique(prefix: str = "g") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory):
    from tests.harness import BrokerProcess

    b = BrokerProcess(tmp_path_factory.mktemp("groupcfg") / "broker", extra_args=BOUNDS).start()
    yield b
    b.kill()


@pytest.fixture
def admin(bounded):
    return AdminClient({"bootstrap.servers": bounded.bootstrap})


def configs(admin: AdminClient, group: str) -> dict[str, ConfigEntry]:
    resource = ConfigResource(ResourceType.GROUP, group)
    return admin.describe_configs([resource], request_timeout=10)[resource].result(10)


def alter(admin: AdminClient, group: str, *ops: tuple[str, str | None, AlterConfigOpType],
          dry: bool = False) -> None:
    resource = ConfigResource(
        ResourceType.GROUP,
        group,
        incremental_configs=[ConfigEntry(n, v, incremental_operation=op) for n, v, op in ops],
    )
    admin.incremental_alter_configs([resource], request_timeout=10, validate_only=dry)[
        resource
    ].result(10)


def refused(admin: AdminClient, group: str, *ops) -> tuple[int, str]:
    with pytest.raises(KafkaException) as e:
        alter(admin, group, *ops)
    error = e.value.args[0]
    return error.code(), error.str()


def shown(entries: dict[str, ConfigEntry]) -> dict[str, tuple[str, int]]:
    return {name: (e.value, e.source) for name, e in entries.items()}


SET, DELETE, APPEND = AlterConfigOpType.SET, AlterConfigOpType.DELETE, AlterConfigOpType.APPEND
DEFAULT, OWN = ConfigSource.DEFAULT_CONFIG.value, ConfigSource.GROUP_CONFIG.value


def test_admin_client_sets_and_deletes_a_groups_configs(admin):
    group = unique()  # no such group: Kafka describes any name
    before = configs(admin, group)
    assert shown(before) == {SESSION: ("45000", DEFAULT), INTERVAL: ("5000", DEFAULT)}
    assert all(e.is_default and not e.is_read_only for e in before.values())

    alter(admin, group, (SESSION, "30000", SET), dry=True)
    assert shown(configs(admin, group)) == shown(before)  # validate_only changed nothing
    alter(admin, group, (SESSION, "30000", SET), (INTERVAL, "250", SET))
    after = configs(admin, group)
    assert shown(after) == {SESSION: ("30000", OWN), INTERVAL: ("250", OWN)}
    assert not any(e.is_default for e in after.values())
    assert shown(configs(admin, unique())) == shown(before)  # other groups unaffected

    alter(admin, group, (INTERVAL, None, DELETE))
    assert shown(configs(admin, group)) == {SESSION: ("30000", OWN), INTERVAL: ("5000", DEFAULT)}


def test_invalid_changes_are_refused_with_a_reason_and_change_nothing(admin):
    group = unique()
    alter(admin, group, (SESSION, "30000", SET))
    invalid = ErrorCode.invalid_config.value
    for ops, says in [
        ([("share.session.timeout.ms", "30000", SET)], "unknown group config"),
        ([("streams.session.timeout.ms", "30000", SET)], "unknown group config"),
        ([(SESSION, "soon", SET)], "not a valid int"),
        ([(SESSION, "70000", SET)], "above group.consumer.max.session.timeout.ms (60000)"),
        ([(INTERVAL, "50", SET)], "below group.consumer.min.heartbeat.interval.ms (100)"),
        ([(INTERVAL, "2000", SET), (SESSION, "1500", SET)], "must be greater than"),
        ([(INTERVAL, "2000", APPEND)], "only to list configs"),
    ]:
        code, message = refused(admin, group, *ops)
        assert code == invalid and says in message, (ops, message)
    assert shown(configs(admin, group)) == {SESSION: ("30000", OWN), INTERVAL: ("5000", DEFAULT)}


def describe_raw(w: WireClient, group: str, keys=None, *, synonyms: bool, docs: bool):
    resource = DescribeConfigsResource(
        resource_type=GROUP, resource_name=group, configuration_keys=keys
    )
    request = DescribeConfigsRequest(
        resources=(resource,), include_synonyms=synonyms, include_documentation=docs
    )
    return w.request(request).results[0]


def test_wire_describe_filters_synonyms_documentation_and_legacy_alter(bounded):
    group = unique()
    with WireClient(bounded.bootstrap) as w:
        one = describe_raw(w, group, (INTERVAL,), synonyms=True, docs=True)
        assert one.error_code is ErrorCode.none and len(one.configs) == 1
        entry = one.configs[0]
        assert (entry.name, entry.value, entry.config_source, entry.config_type) == (
            INTERVAL, "5000", DEFAULT, 3,
        )  # fmt: skip
        assert [(s.name, s.value, s.source) for s in entry.synonyms] == [(INTERVAL, "5000", 5)]
        assert entry.documentation and not entry.read_only and not entry.is_sensitive
        bare = describe_raw(w, group, synonyms=False, docs=False)
        assert sorted(c.name for c in bare.configs) == [INTERVAL, SESSION]
        assert all(c.synonyms == () and c.documentation is None for c in bare.configs)
        empty = describe_raw(w, "", synonyms=False, docs=False)
        assert empty.error_code is ErrorCode.invalid_request and empty.configs == ()

        def replace(**configs: str) -> legacy.AlterConfigsResourceResponse:
            entries = tuple(legacy.AlterableConfig(name=k, value=v) for k, v in configs.items())
            resource = legacy.AlterConfigsResource(
                resource_type=GROUP, resource_name=group, configs=entries
            )
            request = legacy.AlterConfigsRequest(resources=(resource,), validate_only=False)
            return w.request(request).responses[0]

        # legacy AlterConfigs serves groups as Kafka does: the given set replaces the old
        assert replace(**{SESSION: "20000", INTERVAL: "300"}).error_code is ErrorCode.none
        assert replace(**{INTERVAL: "400"}).error_code is ErrorCode.none
        after = {c.name: (c.value, c.config_source) for c in describe_raw(
            w, group, synonyms=False, docs=False).configs}  # fmt: skip
        assert after == {SESSION: ("45000", DEFAULT), INTERVAL: ("400", OWN)}
        bad = replace(**{INTERVAL: "0"})
        assert bad.error_code is ErrorCode.invalid_config and "at least 1" in bad.error_message


def heartbeat(w: WireClient, group: str, member: str, epoch: int, topic: str | None = None):
    joining = epoch == 0
    return w.request(
        ConsumerGroupHeartbeatRequest(
            group_id=group,
            member_id=member,
            member_epoch=epoch,
            rebalance_timeout=timedelta(seconds=30) if joining else timedelta(milliseconds=-1),
            subscribed_topic_names=(topic,) if joining else None,
            topic_partitions=() if joining else None,
        )
    )


def members(w: WireClient, group: str) -> list[str]:
    found = w.request(
        ConsumerGroupDescribeRequest(group_ids=(group,), include_authorized_operations=False)
    ).groups[0]
    return [m.member_id for m in found.members]


def test_members_heartbeat_and_time_out_by_their_groups_configs(bounded, admin):
    topic = unique("t")
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    group, plain = unique(), unique()
    alter(admin, group, (SESSION, "1500", SET), (INTERVAL, "200", SET))
    with WireClient(bounded.bootstrap) as w:
        joined = heartbeat(w, group, "m1", 0, topic)
        assert joined.error_code is ErrorCode.none
        assert joined.heartbeat_interval == timedelta(milliseconds=200)
        other = heartbeat(w, plain, "p1", 0, topic)
        assert other.heartbeat_interval == timedelta(seconds=5)  # the broker's
        # a change applies from the next heartbeat
        alter(admin, group, (INTERVAL, "300", SET))
        again = heartbeat(w, group, "m1", joined.member_epoch)
        assert again.heartbeat_interval == timedelta(milliseconds=300)
        # m1 now stays silent: its group's 1.5 s session ends it, where the broker's is 45 s
        assert members(w, group) == ["m1"]
        wait_for(lambda: members(w, group) == [], 10, what="m1 fenced after the group's session")
        assert members(w, plain) == ["p1"]


def test_a_kip848_consumer_heartbeats_at_its_groups_interval(bounded, admin):
    topic = unique("t")
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    group = unique()
    alter(admin, group, (INTERVAL, "150", SET))
    answered: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "ConsumerGroupHeartbeat response received" in record.getMessage():
                answered.append(record.getMessage())

    log = logging.getLogger(f"rdkafka.{group}")
    log.addHandler(Collect())
    log.setLevel(logging.DEBUG)
    consumer = Consumer(
        {
            "bootstrap.servers": bounded.bootstrap,
            "group.id": group,
            "group.protocol": "consumer",
            "debug": "cgrp",
            "logger": log,
        }
    )
    try:
        consumer.subscribe([topic])

        def heartbeats() -> int:
            consumer.poll(0.05)
            return len(answered)

        # at the broker's 5 s this takes over 40 s
        wait_for(lambda: heartbeats() >= 10, 8, what="ten heartbeats at 150 ms")
    finally:
        consumer.close()


def test_group_configs_survive_a_restart(broker_factory):
    b = broker_factory(*BOUNDS)
    group = unique()
    client = AdminClient({"bootstrap.servers": b.bootstrap})
    alter(client, group, (SESSION, "20000", SET), (INTERVAL, "400", SET))
    alter(client, group, (SESSION, None, DELETE))
    b.restart()
    client = AdminClient({"bootstrap.servers": b.bootstrap})
    assert shown(configs(client, group)) == {SESSION: ("45000", DEFAULT), INTERVAL: ("400", OWN)}
    with WireClient(b.bootstrap) as w:
        admin_topic = unique("t")
        client.create_topics([NewTopic(admin_topic, 1, 1)])[admin_topic].result(10)
        joined = heartbeat(w, group, "m1", 0, admin_topic)
        assert joined.heartbeat_interval == timedelta(milliseconds=400)


def test_acls_guard_group_configs_per_group(tmp_path):
    me = "User:ANONYMOUS"
    bindings = [
        binding("GROUP", "readable", "DESCRIBE_CONFIGS", principal=me),
        binding("GROUP", "writable", "ALTER_CONFIGS", principal=me),
    ]
    with secured_broker(tmp_path / "broker", [], bindings) as b:
        client = cached_admin(b.bootstrap)
        assert configs(client, "readable")[SESSION].value == "45000"
        assert configs(client, "writable")[SESSION].value == "45000"  # AlterConfigs implies it
        with pytest.raises(KafkaException) as e:
            configs(client, "hidden")
        assert e.value.args[0].code() == ErrorCode.group_authorization_failed.value
        alter(client, "writable", (SESSION, "50000", SET))
        for group in ("readable", "hidden"):
            code, _ = refused(client, group, (SESSION, "50000", SET))
            assert code == ErrorCode.group_authorization_failed.value
