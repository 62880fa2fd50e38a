"""ACLs against real clients (confluent-kafka, kcat) on a plaintext listener.

The principal of a plaintext connection is User:ANONYMOUS. The module's broker starts with it
as a super user to create the topics and one ACL (ANONYMOUS may Alter the cluster, i.e. manage
ACLs), then restarts with another super user: from then on ANONYMOUS is an ordinary principal,
and that first ACL, read back from the metadata log, is what lets the tests manage the rest.
Each test removes the ACLs it made.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from datetime import timedelta

import pytest
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    TopicCollection,
)
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kio.schema.consumer_group_heartbeat.v1.request import ConsumerGroupHeartbeatRequest

from tests.harness import BrokerProcess, wait_for
from tests.security.acl_helpers import (
    ANY_FILTER,
    ME,
    acls,
    admin,
    authz_args,
    binding,
    create_acls,
    error_code,
    filter_of,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)
from tests.security.acl_helpers import consume as _consume
from tests.security.acl_helpers import produce as _produce
from tests.wire import WireClient

TOPICS = ["lit", "pre-a", "wild", "deny", "other", "cfg", "grp", "meta-a", "meta-b", "kc", "idem",
          "rx-pub", "rx-secret"]
MANAGE = binding("CLUSTER", "kafka-cluster", "ALTER")
TAF = KafkaError.TOPIC_AUTHORIZATION_FAILED
GAF = KafkaError.GROUP_AUTHORIZATION_FAILED
CAF = KafkaError.CLUSTER_AUTHORIZATION_FAILED


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    with secured_broker(tmp_path_factory.mktemp("acl") / "broker", TOPICS, [MANAGE]) as b:
        yield b


@pytest.fixture
def bs(secured) -> str:
    return secured.bootstrap


@contextlib.contextmanager
def as_super_user(b: BrokerProcess):
    """Restart with ANONYMOUS as a super user for the block, then as an ordinary one again."""
    b.extra_args = authz_args(ME)
    b.restart()
    try:
        yield b.bootstrap
    finally:
        b.extra_args = authz_args("User:admin")
        b.restart()


def produce(bootstrap: str, topic: str, **conf) -> int:
    return _produce({"bootstrap.servers": bootstrap, **conf}, topic)


def consume(bootstrap: str, topic: str, group: str) -> int:
    return _consume({"bootstrap.servers": bootstrap}, topic, group)


def refused(call) -> int:
    with pytest.raises(Exception) as e:
        call()
    return error_code(e.value)


# --- the ACL APIs ----------------------------------------------------------------------------


def test_acl_made_before_the_restart_is_in_force_after_it(bs):
    assert MANAGE in admin(bs).describe_acls(ANY_FILTER).result(10)


def test_create_describe_delete_round_trip(bs):
    a = admin(bs)
    lit = binding("TOPIC", "orders", "READ", principal="User:alice")
    pre = binding("TOPIC", "ord", "WRITE", "DENY", pattern="PREFIXED", principal="User:bob")
    grp = binding("GROUP", "*", "ALL", principal="User:*", host="10.0.0.1")
    create_acls(bs, [lit, pre, grp])
    create_acls(bs, [lit])  # an existing binding: success, stored once
    everything = a.describe_acls(ANY_FILTER).result(10)
    assert everything.count(lit) == 1 and pre in everything and grp in everything

    match = AclBindingFilter(
        ResourceType.TOPIC, "orders", ResourcePatternType.MATCH, None, None,
        AclOperation.ANY, AclPermissionType.ANY,
    )  # fmt: skip
    assert sorted(map(str, a.describe_acls(match).result(10))) == sorted(map(str, [lit, pre]))
    (deleted,) = a.delete_acls([match]).values()
    assert sorted(map(str, deleted.result(10))) == sorted(map(str, [lit, pre]))
    left = a.describe_acls(ANY_FILTER).result(10)
    assert lit not in left and pre not in left and grp in left
    groups = AclBindingFilter(
        ResourceType.GROUP, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
        AclPermissionType.ANY,
    )  # fmt: skip
    (deleted,) = a.delete_acls([groups]).values()
    assert deleted.result(10) == [grp]


def test_deny_of_alter_takes_acl_writes_but_not_describe(secured, bs):
    deny = binding("CLUSTER", "kafka-cluster", "ALTER", "DENY")
    create_acls(bs, [deny])
    try:
        assert refused(lambda: create_acls(bs, [binding("TOPIC", "x", "READ")])) == CAF
        # a DENY of Alter does not deny Describe, which the ALLOW of Alter implies
        assert deny in admin(bs).describe_acls(ANY_FILTER).result(10)
    finally:
        with as_super_user(secured) as su:  # only a super user can lift it now
            (f,) = admin(su).delete_acls([filter_of(deny)]).values()
            assert f.result(10) == [deny]
    assert produce(bs, "lit") == TAF  # and the ordinary principal is back to its ACLs


# --- produce: literal, prefixed, wildcard, deny, no ACL --------------------------------------

PRODUCE_CASES = [
    pytest.param("lit", [binding("TOPIC", "lit", "WRITE")], 0, id="literal-allow"),
    pytest.param("lit", [], TAF, id="no-acl"),
    pytest.param("lit", [binding("TOPIC", "lit", "READ")], TAF, id="other-operation"),
    pytest.param("lit", [binding("TOPIC", "lit", "WRITE", principal="User:bob")], TAF,
                 id="other-principal"),
    pytest.param("lit", [binding("TOPIC", "lit", "WRITE", principal="User:*")], 0,
                 id="any-principal"),
    pytest.param("lit", [binding("TOPIC", "lit", "WRITE", host="10.1.1.1")], TAF,
                 id="other-host"),
    pytest.param("pre-a", [binding("TOPIC", "pre-", "WRITE", pattern="PREFIXED")], 0,
                 id="prefixed-allow"),
    pytest.param("wild", [binding("TOPIC", "*", "ALL")], 0, id="wildcard-allow"),
    pytest.param("deny", [binding("TOPIC", "*", "ALL"), binding("TOPIC", "deny", "WRITE", "DENY")],
                 TAF, id="deny-wins"),
    pytest.param("deny", [binding("TOPIC", "de", "ALL", pattern="PREFIXED"),
                          binding("TOPIC", "*", "WRITE", "DENY")], TAF, id="wildcard-deny"),
]  # fmt: skip


@pytest.mark.parametrize(("topic", "bindings", "expected"), PRODUCE_CASES)
def test_produce(bs, topic, bindings, expected):
    with acls(bs, *bindings):
        assert produce(bs, topic) == expected


def test_idempotent_producer_needs_write_somewhere_or_idempotent_write(bs):
    # KIP-679: InitProducerId without a transactional id needs IdempotentWrite on the cluster
    # or Write on any topic; without either the producer fails fatally
    with acls(bs, binding("TOPIC", "idem", "DESCRIBE")):
        assert produce(bs, "idem", **{"enable.idempotence": True}) == CAF
    with acls(bs, binding("TOPIC", "idem", "WRITE")):
        assert produce(bs, "idem", **{"enable.idempotence": True}) == 0
    with acls(
        bs,
        binding("CLUSTER", "kafka-cluster", "IDEMPOTENT_WRITE"),
        binding("TOPIC", "idem", "WRITE"),
    ):
        assert produce(bs, "idem", **{"enable.idempotence": True}) == 0


# --- consume, groups, commits ----------------------------------------------------------------


def test_consume_needs_read_on_topic_and_group(bs):
    with acls(bs, binding("TOPIC", "grp", "WRITE")):
        assert produce(bs, "grp") == 0
    read_topic = binding("TOPIC", "grp", "READ")
    read_group = binding("GROUP", "readers", "READ")
    with acls(bs, read_topic):
        assert consume(bs, "grp", "readers") == GAF
    with acls(bs, read_group):
        assert consume(bs, "grp", "readers") == TAF
    with acls(bs, read_topic, read_group):
        assert consume(bs, "grp", "readers") == 0
        group = ConsumerGroupTopicPartitions("readers")
        (f,) = admin(bs).list_consumer_group_offsets([group]).values()
        assert [(p.topic, p.offset) for p in f.result(10).topic_partitions] == [("grp", 1)]
    with acls(bs, read_topic, binding("GROUP", "read", "READ", pattern="PREFIXED")):
        assert consume(bs, "grp", "readers-2") == 0


def test_consumer_protocol_regex_assigns_only_topics_the_member_may_describe(bs):
    """KIP-848: the coordinator resolves the regex, leaving out topics the member may not
    describe (as Kafka does since KAFKA-18813), rather than assigning them. A raw heartbeat
    shows the assignment itself: a client would hide ids it cannot resolve to names."""
    group = "rx-readers"
    with acls(bs, binding("TOPIC", "rx-pub", "READ"), binding("GROUP", group, "READ")):
        c = Consumer({"bootstrap.servers": bs, "group.id": group, "group.protocol": "consumer"})
        try:
            c.subscribe(["^rx-.*"])  # librdkafka's own view agrees
            assigned = wait_for(lambda: (c.poll(0.1), c.assignment())[1], timeout=20)
            assert {tp.topic for tp in assigned} == {"rx-pub"}
        finally:
            c.close()
        ids = {t.name: t.topic_id for t in admin(bs).describe_topics(
            TopicCollection(["rx-pub"])).values() for t in [t.result(10)]}  # fmt: skip
        with WireClient(bs) as w:
            r = w.request(ConsumerGroupHeartbeatRequest(
                group_id=group, member_id=uuid.uuid4().hex, member_epoch=0,
                rebalance_timeout=timedelta(seconds=30), subscribed_topic_regex="rx-.*",
                topic_partitions=(),
            ))  # fmt: skip
            assert r.error_code == 0
            got = {t.topic_id for t in r.assignment.topic_partitions}
            pub = ids["rx-pub"]
            mask = 2**64 - 1
            msb, lsb = pub.get_most_significant_bits(), pub.get_least_significant_bits()
            assert got == {uuid.UUID(int=(msb & mask) << 64 | lsb & mask)}


# --- metadata, topic create/delete, configs --------------------------------------------------


def test_metadata_lists_only_topics_the_principal_may_describe(bs):
    with acls(bs, binding("TOPIC", "meta-a", "READ")):  # Read implies Describe
        listed = set(admin(bs).list_topics(timeout=10).topics)
        assert "meta-a" in listed and "meta-b" not in listed and "lit" not in listed
        named = admin(bs).list_topics("meta-b", timeout=10).topics["meta-b"]
        assert named.error is not None and named.error.code() == TAF
        # a topic that does not exist looks the same: existence is not revealed
        missing = admin(bs).list_topics("no-such-topic", timeout=10).topics["no-such-topic"]
        assert missing.error is not None and missing.error.code() == TAF


def test_create_and_delete_topics(bs):
    a = admin(bs)
    assert refused(lambda: a.create_topics([NewTopic("made-1", 1, 1)])["made-1"].result(10)) == TAF
    with acls(bs, binding("TOPIC", "made-", "CREATE", pattern="PREFIXED")):
        a.create_topics([NewTopic("made-1", 1, 1)])["made-1"].result(10)
        assert refused(lambda: a.delete_topics(["made-1"])["made-1"].result(10)) == TAF
    with acls(bs, binding("CLUSTER", "kafka-cluster", "CREATE")):
        a.create_topics([NewTopic("made-2", 1, 1)])["made-2"].result(10)
    with acls(bs, binding("TOPIC", "made-", "DELETE", pattern="PREFIXED")):
        for f in a.delete_topics(["made-1", "made-2"]).values():
            f.result(10)


def test_topic_and_broker_configs(bs):
    a = admin(bs)
    topic = ConfigResource(ConfigResource.Type.TOPIC, "cfg")
    brokers = ConfigResource(ConfigResource.Type.BROKER, "1")
    assert refused(lambda: a.describe_configs([topic])[topic].result(10)) == TAF
    assert refused(lambda: a.describe_configs([brokers])[brokers].result(10)) == CAF
    change = ConfigResource(
        ConfigResource.Type.TOPIC,
        "cfg",
        incremental_configs=[
            ConfigEntry("retention.ms", "60000", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    with acls(bs, binding("TOPIC", "cfg", "ALTER_CONFIGS")):  # implies DescribeConfigs
        assert "retention.ms" in a.describe_configs([topic])[topic].result(10)
        a.incremental_alter_configs([change])[change].result(10)
    with acls(bs, binding("TOPIC", "cfg", "DESCRIBE_CONFIGS")):
        assert a.describe_configs([topic])[topic].result(10)["retention.ms"].value == "60000"
        assert refused(lambda: a.incremental_alter_configs([change])[change].result(10)) == TAF


# --- kcat ------------------------------------------------------------------------------------


def kcat(bootstrap: str, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["kcat", "-b", bootstrap, "-X", "message.timeout.ms=5000", *args],
        input=data,
        capture_output=True,
        timeout=30,
    )


def test_kcat_produce_and_consume(bs):
    denied = kcat(bs, "-P", "-t", "kc", data=b"one\n")
    assert b"authoriz" in denied.stderr.lower()
    with acls(bs, binding("TOPIC", "kc", "WRITE"), binding("TOPIC", "kc", "READ")):
        listing = kcat(bs, "-L", "-J")
        assert listing.returncode == 0
        assert [t["topic"] for t in json.loads(listing.stdout)["topics"]] == ["kc"]
        assert kcat(bs, "-P", "-t", "kc", data=b"one\ntwo\n").returncode == 0
        out = kcat(bs, "-C", "-t", "kc", "-e", "-o", "beginning")
        assert out.returncode == 0 and out.stdout.split() == [b"one", b"two"]
    refused_read = kcat(bs, "-C", "-t", "kc", "-e", "-o", "beginning")
    assert b"authoriz" in refused_read.stderr.lower()


# --- other brokers: super user, allow.everyone.if.no.acl.found, ListGroups -----------------


def test_super_user_is_allowed_despite_deny(broker_factory):
    b = broker_factory(*authz_args(f"User:admin;{ME}"))
    create_acls(b.bootstrap, [binding("TOPIC", "*", "ALL", "DENY", principal="User:*")])
    admin(b.bootstrap).create_topics([NewTopic("t", 1, 1)])["t"].result(10)
    assert produce(b.bootstrap, "t") == 0


def test_allow_everyone_if_no_acl_found(broker_factory):
    b = broker_factory(*authz_args(ME, allow_everyone=True))
    for f in (
        admin(b.bootstrap).create_topics([NewTopic(t, 1, 1) for t in ("free", "owned")]).values()
    ):
        f.result(10)
    create_acls(b.bootstrap, [binding("TOPIC", "owned", "WRITE", principal="User:bob")])
    b.extra_args = authz_args("User:admin", allow_everyone=True)
    b.restart()
    assert produce(b.bootstrap, "free") == 0  # no ACL names "free": everyone may
    assert produce(b.bootstrap, "owned") == TAF  # an ACL exists, none for ANONYMOUS


def test_list_groups_and_cluster_describe(broker_factory):
    b = broker_factory(*authz_args(ME))
    admin(b.bootstrap).create_topics([NewTopic("t", 1, 1)])["t"].result(10)
    assert produce(b.bootstrap, "t") == 0
    for g in ("seen", "hidden"):
        assert consume(b.bootstrap, "t", g) == 0
    create_acls(b.bootstrap, [binding("GROUP", "seen", "DESCRIBE")])
    b.extra_args = authz_args("User:admin")
    b.restart()
    a = admin(b.bootstrap)
    listed = {g.group_id for g in a.list_consumer_groups().result(10).valid}
    assert listed == {"seen"}
    (f,) = a.describe_consumer_groups(["hidden"]).values()
    assert refused(lambda: f.result(10)) == GAF
