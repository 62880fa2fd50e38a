"""Each API's answer to a principal the ACLs do not allow, in Kafka's shape, on the wire.

The module's broker is set up by User:ANONYMOUS as a super user (topics "t" and "visible",
committed offsets of group "g" on both, ACLs allowing ANONYMOUS to Describe topic "visible"
and group "g"), then restarted with another super user, so ANONYMOUS has just those two
ACLs. A second broker has no authorizer: the ACL APIs answer SECURITY_DISABLED there.
"""

from __future__ import annotations

import sys
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from kio.index import load_request_schema

from broker.errors import ErrorCode
from broker.handlers.context import make
from broker.security.acl import AclOperation
from tests.harness import BrokerProcess
from tests.security.acl_helpers import (
    ME,
    authz_args,
    binding,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)
from tests.wire import WireClient

E = ErrorCode
OMITTED = -(2**31)
ZERO = uuid.UUID(int=0)
DESCRIBE_BIT = 1 << AclOperation.DESCRIBE
TOPIC_IDS: dict[str, uuid.UUID] = {}  # the module broker's topics, read while ANONYMOUS is super


def req(api_key: int, version: int, /, **fields):
    return make(load_request_schema(api_key, version), **fields)


def part(api_key: int, version: int, class_name: str, /, **fields):
    module = sys.modules[load_request_schema(api_key, version).__module__]
    return make(getattr(module, class_name), **fields)


SETUP_ACLS = [
    binding("TOPIC", "visible", "DESCRIBE"),
    binding("GROUP", "g", "DESCRIBE"),
    # for the creation tests: Create on "made-*", plus Describe or AlterConfigs on some
    binding("TOPIC", "made-", "CREATE", pattern="PREFIXED"),
    binding("TOPIC", "made-seen", "DESCRIBE", pattern="PREFIXED"),
    binding("TOPIC", "made-cfg", "ALTER_CONFIGS", pattern="PREFIXED"),
]


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    def prepare(bootstrap: str) -> None:
        p = Producer({"bootstrap.servers": bootstrap})
        for topic in ("t", "visible"):
            p.produce(topic, b"x")
        assert p.flush(15) == 0
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "g"})
        c.commit(
            offsets=[TopicPartition("t", 0, 1), TopicPartition("visible", 0, 1)], asynchronous=False
        )
        c.close()
        with WireClient(bootstrap) as w:
            listed = w.request(
                req(
                    3,
                    12,
                    topics=None,
                    allow_auto_topic_creation=False,
                    include_topic_authorized_operations=False,
                )
            )
        TOPIC_IDS.update({t.name: t.topic_id for t in listed.topics})

    path = tmp_path_factory.mktemp("wire") / "broker"
    with secured_broker(path, ["t", "visible"], SETUP_ACLS, prepare) as b:
        yield b


@pytest.fixture
def bs(secured) -> str:
    return secured.bootstrap


@pytest.fixture
def wire(bs):
    with WireClient(bs) as w:
        yield w


# --- topics ---------------------------------------------------------------------------------


def test_metadata_lists_describable_topics_and_hides_existence(wire):
    everything = wire.request(
        req(
            3,
            10,
            topics=None,
            allow_auto_topic_creation=False,
            include_cluster_authorized_operations=True,
            include_topic_authorized_operations=True,
        )
    )
    listed = [t for t in everything.topics if not t.name.startswith("made-")]
    assert [t.name for t in listed] == ["visible"]
    assert listed[0].topic_authorized_operations == DESCRIBE_BIT
    assert everything.cluster_authorized_operations == 0  # no Describe on the cluster
    named = [part(3, 10, "MetadataRequestTopic", topic_id=ZERO, name=n) for n in ("t", "nope")]
    r = wire.request(
        req(
            3,
            10,
            topics=tuple(named),
            allow_auto_topic_creation=True,
            include_cluster_authorized_operations=False,
            include_topic_authorized_operations=False,
        )
    )
    assert {(t.name, t.error_code, t.topic_id, t.partitions) for t in r.topics} == {
        ("t", E.topic_authorization_failed, None, ()),  # kio reads the zero id as None
        ("nope", E.topic_authorization_failed, None, ()),
    }
    assert r.cluster_authorized_operations == OMITTED


def test_metadata_by_topic_id(wire):
    """A lookup by id (v12) of a topic the principal may not Describe is refused with its id
    and no name, as Kafka does (ids are not secret); an unknown id is UNKNOWN_TOPIC_ID."""
    unknown = uuid.uuid4()
    ids = (TOPIC_IDS["t"], TOPIC_IDS["visible"], unknown)
    r = wire.request(
        req(
            3,
            12,
            topics=tuple(part(3, 12, "MetadataRequestTopic", topic_id=i, name=None) for i in ids),
            allow_auto_topic_creation=False,
            include_topic_authorized_operations=False,
        )
    )
    assert [(t.topic_id, t.name, t.error_code, len(t.partitions)) for t in r.topics] == [
        (TOPIC_IDS["t"], None, E.topic_authorization_failed, 0),
        (TOPIC_IDS["visible"], "visible", E.none, 1),
        (unknown, None, E.unknown_topic_id, 0),
    ]


def test_produce_fetch_list_offsets_epochs(wire):
    produce = wire.request(
        req(
            0,
            9,
            transactional_id=None,
            acks=-1,
            timeout=5000,
            topic_data=(
                part(
                    0,
                    9,
                    "TopicProduceData",
                    name="t",
                    partition_data=(part(0, 9, "PartitionProduceData", index=0, records=None),),
                ),
            ),
        )
    )
    assert produce.responses[0].partition_responses[0].error_code == E.topic_authorization_failed

    fetch = wire.request(
        req(
            1,
            12,
            replica_id=-1,
            max_wait=0,
            min_bytes=1,
            max_bytes=1 << 20,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            forgotten_topics_data=(),
            rack_id="",
            topics=tuple(
                part(
                    1,
                    12,
                    "FetchTopic",
                    topic=n,
                    partitions=(
                        part(
                            1,
                            12,
                            "FetchPartition",
                            partition=0,
                            current_leader_epoch=-1,
                            fetch_offset=0,
                            last_fetched_epoch=-1,
                            log_start_offset=-1,
                            partition_max_bytes=1 << 20,
                        ),
                    ),
                )
                for n in ("t", "visible")
            ),
        )
    )
    codes = {r.topic: r.partitions[0].error_code for r in fetch.responses}
    assert codes == {"t": E.topic_authorization_failed, "visible": E.topic_authorization_failed}

    follower = wire.request(
        req(
            1,
            12,
            replica_id=1,
            max_wait=0,
            min_bytes=1,
            max_bytes=1 << 20,
            isolation_level=0,
            session_id=0,
            session_epoch=-1,
            forgotten_topics_data=(),
            rack_id="",
            topics=(
                part(
                    1,
                    12,
                    "FetchTopic",
                    topic="visible",
                    partitions=(
                        part(
                            1,
                            12,
                            "FetchPartition",
                            partition=0,
                            current_leader_epoch=-1,
                            fetch_offset=0,
                            last_fetched_epoch=-1,
                            log_start_offset=-1,
                            partition_max_bytes=1024,
                        ),
                    ),
                ),
            ),
        )
    )
    assert follower.responses[0].partitions[0].error_code == E.topic_authorization_failed

    offsets = wire.request(
        req(
            2,
            7,
            replica_id=-1,
            isolation_level=0,
            topics=tuple(
                part(
                    2,
                    7,
                    "ListOffsetsTopic",
                    name=n,
                    partitions=(
                        part(
                            2,
                            7,
                            "ListOffsetsPartition",
                            partition_index=0,
                            current_leader_epoch=-1,
                            timestamp=-1,
                        ),
                    ),
                )
                for n in ("t", "visible")
            ),
        )
    )
    got = {t.name: (t.partitions[0].error_code, t.partitions[0].offset) for t in offsets.topics}
    assert got == {"t": (E.topic_authorization_failed, -1), "visible": (E.none, 1)}

    epochs = wire.request(
        req(
            23,
            4,
            replica_id=-1,
            topics=tuple(
                part(
                    23,
                    4,
                    "OffsetForLeaderTopic",
                    topic=n,
                    partitions=(
                        part(
                            23,
                            4,
                            "OffsetForLeaderPartition",
                            partition=0,
                            current_leader_epoch=-1,
                            leader_epoch=0,
                        ),
                    ),
                )
                for n in ("t", "visible")
            ),
        )
    )
    got = {t.topic: t.partitions[0].error_code for t in epochs.topics}
    assert got == {"t": E.topic_authorization_failed, "visible": E.none}


def test_topic_admin_apis(wire):
    created = wire.request(
        req(
            19,
            5,
            timeout=5000,
            validate_only=False,
            topics=(
                part(
                    19,
                    5,
                    "CreatableTopic",
                    name="new",
                    num_partitions=1,
                    replication_factor=1,
                    assignments=(),
                    configs=(),
                ),
            ),
        )
    )
    assert (created.topics[0].error_code, created.topics[0].error_message) == (
        E.topic_authorization_failed,
        "Authorization failed.",
    )
    by_id = {
        t.name: t.topic_id
        for t in wire.request(
            req(
                3,
                10,
                topics=None,
                allow_auto_topic_creation=False,
                include_cluster_authorized_operations=False,
                include_topic_authorized_operations=False,
            )
        ).topics
    }
    deleted = wire.request(
        req(
            20,
            6,
            timeout=5000,
            topics=(
                part(20, 6, "DeleteTopicState", name="t", topic_id=ZERO),
                part(20, 6, "DeleteTopicState", name=None, topic_id=by_id["visible"]),
            ),
        )
    )
    assert [(r.name, r.topic_id, r.error_code) for r in deleted.responses] == [
        ("t", None, E.topic_authorization_failed),  # by name: no id (kio reads zero as None)
        ("visible", by_id["visible"], E.topic_authorization_failed),  # by id, describable
    ]
    grown = wire.request(
        req(
            37,
            3,
            timeout=5000,
            validate_only=False,
            topics=(
                part(37, 3, "CreatePartitionsTopic", name="visible", count=2, assignments=None),
            ),
        )
    )
    assert grown.results[0].error_code == E.topic_authorization_failed
    trimmed = wire.request(
        req(
            21,
            2,
            timeout=5000,
            topics=(
                part(
                    21,
                    2,
                    "DeleteRecordsTopic",
                    name="visible",
                    partitions=(
                        part(21, 2, "DeleteRecordsPartition", partition_index=0, offset=1),
                    ),
                ),
            ),
        )
    )
    assert trimmed.topics[0].partitions[0].error_code == E.topic_authorization_failed


def test_configs_and_log_dirs(wire):
    described = wire.request(
        req(
            32,
            4,
            include_synonyms=False,
            include_documentation=False,
            resources=(
                part(
                    32,
                    4,
                    "DescribeConfigsResource",
                    resource_type=2,
                    resource_name="visible",
                    configuration_keys=None,
                ),
                part(
                    32,
                    4,
                    "DescribeConfigsResource",
                    resource_type=4,
                    resource_name="1",
                    configuration_keys=None,
                ),
            ),
        )
    )
    assert [(r.error_code, r.configs) for r in described.results] == [
        (E.topic_authorization_failed, ()),
        (E.cluster_authorization_failed, ()),
    ]
    for key, version, config in ((33, 2, {}), (44, 1, {"config_operation": 0})):
        altered = wire.request(
            req(
                key,
                version,
                validate_only=True,
                resources=tuple(
                    part(
                        key,
                        version,
                        "AlterConfigsResource",
                        resource_type=rt,
                        resource_name=name,
                        configs=(
                            part(
                                key,
                                version,
                                "AlterableConfig",
                                name="retention.ms",
                                value="1000",
                                **config,
                            ),
                        ),
                    )
                    for rt, name in ((2, "visible"), (4, ""))
                ),
            )
        )
        assert [r.error_code for r in altered.responses] == [
            E.topic_authorization_failed,
            E.cluster_authorization_failed,
        ]
    dirs = wire.request(req(35, 4, topics=None))
    assert (dirs.error_code, dirs.results) == (E.cluster_authorization_failed, ())
    cluster = wire.request(req(60, 1, include_cluster_authorized_operations=True, endpoint_type=1))
    assert (cluster.error_code, cluster.cluster_authorized_operations) == (E.none, 0)


# --- groups --------------------------------------------------------------------------------


def test_coordinator_and_membership(wire):
    found = wire.request(req(10, 4, key_type=0, coordinator_keys=("g", "other")))
    assert [(c.key, c.error_code) for c in found.coordinators] == [
        ("g", E.none),
        ("other", E.group_authorization_failed),
    ]
    txn = wire.request(req(10, 3, key="tx", key_type=1))
    assert txn.error_code == E.transactional_id_authorization_failed
    # Describe on "g" does not allow Read: no joining, syncing, heartbeats, leaving
    joined = wire.request(
        req(
            11,
            5,
            group_id="g",
            session_timeout=10000,
            rebalance_timeout=10000,
            member_id="",
            group_instance_id=None,
            protocol_type="consumer",
            protocols=(part(11, 5, "JoinGroupRequestProtocol", name="range", metadata=b""),),
        )
    )
    assert (joined.error_code, joined.generation_id, joined.member_id) == (
        E.group_authorization_failed,
        -1,
        "",
    )
    beat = wire.request(
        req(12, 3, group_id="g", generation_id=1, member_id="m", group_instance_id=None)
    )
    assert beat.error_code == E.group_authorization_failed
    synced = wire.request(
        req(
            14,
            3,
            group_id="g",
            generation_id=1,
            member_id="m",
            group_instance_id=None,
            assignments=(),
        )
    )
    assert synced.error_code == E.group_authorization_failed
    left = wire.request(
        req(
            13,
            3,
            group_id="g",
            members=(part(13, 3, "MemberIdentity", member_id="m", group_instance_id=None),),
        )
    )
    assert left.error_code == E.group_authorization_failed


def test_offsets(wire):
    committed = wire.request(
        req(
            8,
            8,
            group_id="g",
            generation_id_or_member_epoch=-1,
            member_id="",
            group_instance_id=None,
            topics=(
                part(
                    8,
                    8,
                    "OffsetCommitRequestTopic",
                    name="visible",
                    partitions=(
                        part(
                            8,
                            8,
                            "OffsetCommitRequestPartition",
                            partition_index=0,
                            committed_offset=0,
                            committed_leader_epoch=-1,
                            committed_metadata="",
                        ),
                    ),
                ),
            ),
        )
    )
    assert committed.topics[0].partitions[0].error_code == E.group_authorization_failed

    v1 = wire.request(
        req(
            9,
            1,
            group_id="other",
            topics=(part(9, 1, "OffsetFetchRequestTopic", name="visible", partition_indexes=(0,)),),
        )
    )
    assert v1.topics[0].partitions[0].error_code == E.group_authorization_failed
    v5 = wire.request(req(9, 5, group_id="other", topics=None))
    assert (v5.error_code, v5.topics) == (E.group_authorization_failed, ())
    all_of_g = wire.request(req(9, 5, group_id="g", topics=None))
    assert [(t.name, t.partitions[0].committed_offset) for t in all_of_g.topics] == [
        ("visible", 1)  # "t" is left out: ANONYMOUS may not Describe it
    ]
    v8 = wire.request(
        req(
            9,
            8,
            require_stable=False,
            groups=(
                part(
                    9,
                    8,
                    "OffsetFetchRequestGroup",
                    group_id="g",
                    topics=tuple(
                        part(9, 8, "OffsetFetchRequestTopics", name=n, partition_indexes=(0,))
                        for n in ("t", "visible")
                    ),
                ),
                part(9, 8, "OffsetFetchRequestGroup", group_id="other", topics=None),
            ),
        )
    )
    g, other = v8.groups
    assert other.error_code == E.group_authorization_failed
    assert sorted(
        (t.name, t.partitions[0].error_code, t.partitions[0].committed_offset) for t in g.topics
    ) == [
        ("t", E.topic_authorization_failed, -1),
        ("visible", E.none, 1),
    ]


def test_group_admin_apis(wire):
    listed = wire.request(req(16, 4, states_filter=()))
    assert [x.group_id for x in listed.groups] == ["g"]
    described = wire.request(req(15, 5, groups=("g", "other"), include_authorized_operations=True))
    assert [(d.group_id, d.error_code, d.authorized_operations) for d in described.groups] == [
        ("g", E.none, DESCRIBE_BIT),
        ("other", E.group_authorization_failed, OMITTED),
    ]
    deleted = wire.request(req(42, 2, groups_names=("g",)))
    assert deleted.results[0].error_code == E.group_authorization_failed
    dropped = wire.request(
        req(
            47,
            0,
            group_id="g",
            topics=(
                part(
                    47,
                    0,
                    "OffsetDeleteRequestTopic",
                    name="visible",
                    partitions=(part(47, 0, "OffsetDeleteRequestPartition", partition_index=0),),
                ),
            ),
        )
    )
    assert dropped.error_code == E.group_authorization_failed


# --- producer ids, ACL and credential APIs ----------------------------------------------------


def test_init_producer_id(wire):
    idempotent = wire.request(
        req(
            22,
            4,
            transactional_id=None,
            transaction_timeout=60000,
            producer_id=-1,
            producer_epoch=-1,
        )
    )
    assert (idempotent.error_code, idempotent.producer_id) == (E.cluster_authorization_failed, -1)
    transactional = wire.request(
        req(
            22,
            4,
            transactional_id="tx",
            transaction_timeout=60000,
            producer_id=-1,
            producer_epoch=-1,
        )
    )
    assert transactional.error_code == E.transactional_id_authorization_failed


def _acl_requests(version: int):
    creation = part(
        30,
        version,
        "AclCreation",
        resource_type=2,
        resource_name="t",
        resource_pattern_type=3,
        principal=ME,
        host="*",
        operation=3,
        permission_type=3,
    )
    acl_filter = dict(
        resource_type_filter=1,
        resource_name_filter=None,
        pattern_type_filter=1,
        principal_filter=None,
        host_filter=None,
        operation=1,
        permission_type=1,
    )
    return (
        req(30, version, creations=(creation,)),
        req(29, version, **acl_filter),
        req(31, version, filters=(part(31, version, "DeleteAclsFilter", **acl_filter),)),
    )


@pytest.mark.parametrize("version", [1, 2, 3])
def test_acl_apis_need_the_cluster(wire, version):
    create, describe, delete = _acl_requests(version)
    assert wire.request(create).results[0].error_code == E.cluster_authorization_failed
    assert wire.request(describe).error_code == E.cluster_authorization_failed
    assert wire.request(delete).filter_results[0].error_code == E.cluster_authorization_failed


def test_scram_credential_apis_need_the_cluster(wire):
    described = wire.request(req(50, 0, users=(part(50, 0, "UserName", name="bob"),)))
    assert described.error_code == E.cluster_authorization_failed
    assert [r.error_code for r in described.results] == [E.cluster_authorization_failed]
    altered = wire.request(
        req(
            51,
            0,
            upsertions=(),
            deletions=(part(51, 0, "ScramCredentialDeletion", name="bob", mechanism=1),),
        )
    )
    assert [(r.user, r.error_code) for r in altered.results] == [
        ("bob", E.cluster_authorization_failed)
    ]


@pytest.mark.parametrize("version", [1, 3])
def test_acl_apis_without_an_authorizer_are_security_disabled(broker, version):
    create, describe, delete = _acl_requests(version)
    with WireClient(broker.bootstrap) as w:
        assert w.request(create).results[0].error_code == E.security_disabled
        assert w.request(describe).error_code == E.security_disabled
        assert w.request(delete).filter_results[0].error_code == E.security_disabled


BAD_CREATIONS = [
    pytest.param(dict(principal="alice"), id="principal-without-type"),
    pytest.param(dict(resource_pattern_type=2), id="pattern-match"),
    pytest.param(dict(resource_pattern_type=1), id="pattern-any"),
    pytest.param(dict(resource_pattern_type=0), id="pattern-unknown"),
    pytest.param(dict(resource_type=1), id="resource-any"),
    pytest.param(dict(resource_type=42), id="resource-unknown-code"),
    pytest.param(dict(operation=1), id="operation-any"),
    pytest.param(dict(permission_type=1), id="permission-any"),
    pytest.param(dict(resource_name=""), id="empty-name"),
    pytest.param(dict(resource_type=4, resource_name="my-cluster"), id="cluster-name"),
]


@pytest.fixture(scope="module")
def super_bs(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("wire-su") / "broker", extra_args=authz_args(ME))
    yield b.start().bootstrap
    b.kill()


@pytest.mark.parametrize("bad", BAD_CREATIONS)
def test_invalid_creations(super_bs, bad):
    fields = dict(
        resource_type=2,
        resource_name="t",
        resource_pattern_type=3,
        principal=ME,
        host="*",
        operation=3,
        permission_type=3,
    )
    good = part(30, 2, "AclCreation", **fields)
    with WireClient(super_bs) as w:
        r = w.request(req(30, 2, creations=(part(30, 2, "AclCreation", **{**fields, **bad}), good)))
        assert [x.error_code for x in r.results] == [E.invalid_request, E.none]
        assert r.results[0].error_message
        listed = w.request(_acl_requests(2)[1])
        # only the good one was stored, once however often it is created
        assert [(x.resource_name, len(x.acls)) for x in listed.resources] == [("t", 1)]


def test_describe_and_delete_with_unknown_filter_codes(super_bs):
    with WireClient(super_bs) as w:
        r = w.request(
            req(
                29,
                2,
                resource_type_filter=1,
                resource_name_filter=None,
                pattern_type_filter=0,
                principal_filter=None,
                host_filter=None,
                operation=1,
                permission_type=1,
            )
        )
        assert r.error_code == E.invalid_request
        bad = part(
            31,
            2,
            "DeleteAclsFilter",
            resource_type_filter=1,
            resource_name_filter=None,
            pattern_type_filter=1,
            principal_filter=None,
            host_filter=None,
            operation=0,
            permission_type=1,
        )
        assert w.request(req(31, 2, filters=(bad,))).filter_results[0].error_code == (
            E.invalid_request
        )


def test_authorized_operations_of_a_super_user(super_bs):
    with WireClient(super_bs) as w:
        r = w.request(req(60, 1, include_cluster_authorized_operations=True, endpoint_type=1))
        cluster_ops = {
            AclOperation(b) for b in range(32) if r.cluster_authorized_operations >> b & 1
        }
        assert cluster_ops == {
            AclOperation.CREATE,
            AclOperation.CLUSTER_ACTION,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS,
            AclOperation.IDEMPOTENT_WRITE,
            AclOperation.ALTER,
            AclOperation.DESCRIBE,
        }


def _metadata(wire, name: str, auto_create: bool = True):
    (topic,) = wire.request(
        req(
            3,
            10,
            topics=(part(3, 10, "MetadataRequestTopic", topic_id=ZERO, name=name),),
            allow_auto_topic_creation=auto_create,
            include_cluster_authorized_operations=False,
            include_topic_authorized_operations=False,
        )
    ).topics
    return topic


def _create(wire, name: str):
    (result,) = wire.request(
        req(
            19,
            5,
            timeout=5000,
            validate_only=False,
            topics=(
                part(
                    19,
                    5,
                    "CreatableTopic",
                    name=name,
                    num_partitions=1,
                    replication_factor=1,
                    assignments=(),
                    configs=(),
                ),
            ),
        )
    ).topics
    return result


def test_auto_creation_needs_describe_and_create(wire):
    # Create without Describe: refused like any undescribable name, and nothing is created
    assert _metadata(wire, "made-hidden").error_code == E.topic_authorization_failed
    assert _create(wire, "made-hidden").error_code == E.none  # so it did not exist
    created = _metadata(wire, "made-seen-1")
    assert (created.error_code, len(created.partitions)) == (E.none, 1)


def test_created_topic_configs_need_describe_configs(wire):
    plain = _create(wire, "made-plain")
    assert (plain.error_code, plain.topic_config_error_code) == (
        E.none,
        E.topic_authorization_failed,
    )
    assert (plain.configs, plain.num_partitions, plain.replication_factor) == ((), -1, -1)
    shown = _create(wire, "made-cfg-1")
    assert (shown.error_code, shown.topic_config_error_code, shown.num_partitions) == (
        E.none,
        E.none,
        1,
    )
    assert "retention.ms" in {c.name for c in shown.configs}


def test_denials_are_logged_but_not_listing_filters(secured, wire):
    wire.request(req(16, 4, states_filter=()))  # filters "other" groups: not logged
    wire.request(req(42, 2, groups_names=("g",)))  # an explicit Delete: logged
    log = secured.log()
    assert (
        "Principal = User:ANONYMOUS is Denied operation = DELETE from host = 127.0.0.1 "
        "on resource = GROUP:g for request = DELETE_GROUPS"
    ) in log
    assert "for request = LIST_GROUPS" not in log
