"""Who may elect leaders, reassign partitions and describe the quorum: Alter on the cluster
for the first two, Describe for listing reassignments and the quorum; refusals in Kafka's
error-response shapes.

The broker runs with an authorizer and another super user; User:ANONYMOUS (every plaintext
connection) was granted Describe on the cluster while it was the super user.
"""

from __future__ import annotations

import pytest
from confluent_kafka import ElectionType, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from broker.errors import ErrorCode
from tests.cluster import wire_requests as w
from tests.security.acl_helpers import (
    authz_args,
    binding,
    forget_admin_clients,  # noqa: F401 (autouse fixture)
    secured_broker,
)
from tests.wire import WireClient

E = ErrorCode
DENIED = E.cluster_authorization_failed


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    path = tmp_path_factory.mktemp("cluster-acls") / "broker"
    with secured_broker(path, ["t"], [binding("CLUSTER", "kafka-cluster", "DESCRIBE")]) as b:
        yield b


@pytest.fixture
def wire(secured):
    with WireClient(secured.bootstrap) as client:
        yield client


@pytest.mark.parametrize("version", [0, 1, 2])
def test_elect_leaders_needs_alter_on_the_cluster(wire, version):
    r = wire.request(w.elect_leaders(version, {"t": [0, 1]}))
    assert getattr(r, "error_code", DENIED) == DENIED  # v0 has no top-level code
    [topic] = r.replica_election_results
    assert [(p.partition_id, p.error_code) for p in topic.partition_result] == [
        (0, DENIED),
        (1, DENIED),
    ]
    everything = wire.request(w.elect_leaders(version, None))
    assert everything.replica_election_results == ()
    assert getattr(everything, "error_code", DENIED) == DENIED


def test_confluent_elect_leaders_is_refused(secured):
    client = AdminClient({"bootstrap.servers": secured.bootstrap})
    future = client.elect_leaders(ElectionType.PREFERRED, [TopicPartition("t", 0)])
    with pytest.raises(KafkaException) as e:
        future.result(15)
    assert e.value.args[0].code() == DENIED


def test_alter_reassignments_needs_alter_on_the_cluster(wire):
    r = wire.request(w.alter_reassignments({"t": {0: [1], 1: None}}))
    assert (r.error_code, r.error_message) == (DENIED, "Alter on the cluster denied")
    assert [(p.partition_index, p.error_code) for p in r.responses[0].partitions] == [
        (0, DENIED),
        (1, DENIED),
    ]


def test_listing_reassignments_and_the_quorum_need_describe(wire):
    listed = wire.request(w.list_reassignments({"t": [0]}))
    assert (listed.error_code, listed.topics) == (E.none, ())
    quorum = wire.request(w.describe_quorum(2))
    assert quorum.error_code == E.none and quorum.topics[0].partitions[0].leader_id == 1


def test_without_describe_listing_and_the_quorum_are_refused(broker_factory):
    b = broker_factory(*authz_args("User:admin"), name="no-acls")
    with WireClient(b.bootstrap) as client:
        listed = client.request(w.list_reassignments({"t": [0, 2]}))
        assert listed.error_code == DENIED
        # Kafka's error response names the partitions asked about, with empty replica lists
        [(name, partitions)] = [(t.name, t.partitions) for t in listed.topics]
        assert name == "t" and [(p.partition_index, p.replicas) for p in partitions] == [
            (0, ()),
            (2, ()),
        ]
        everything = client.request(w.list_reassignments(None))
        assert (everything.error_code, everything.topics) == (DENIED, ())
        for version in (0, 1, 2):
            quorum = client.request(w.describe_quorum(version))
            assert (quorum.error_code, quorum.topics) == (DENIED, ())
