"""ElectLeaders, partition reassignments and DescribeQuorum against the real broker: with
confluent-kafka's AdminClient, and raw at every advertised version (each response is
decoded with its version's schema, so the codec path is checked too)."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import ElectionType, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from broker.errors import ErrorCode
from broker.protocol import records
from tests.cluster import wire_requests as w
from tests.harness import BrokerProcess
from tests.wire import WireClient

E = ErrorCode
TOPIC = "orders"


@pytest.fixture(scope="module")
def cluster(shared_broker) -> BrokerProcess:
    admin = AdminClient({"bootstrap.servers": shared_broker.bootstrap})
    admin.create_topics([NewTopic(TOPIC, 2, 1)])[TOPIC].result(15)
    return shared_broker


@pytest.fixture
def wire(cluster):
    with WireClient(cluster.bootstrap) as client:
        yield client


def metadata_log_end(b: BrokerProcess) -> int:
    data = (b.data_dir / "__cluster_metadata-0" / f"{0:020d}.log").read_bytes()
    end = pos = 0
    while pos < len(data):
        header = records.parse_header(data, pos)
        end, pos = header.next_offset, pos + header.size
    return end


def test_api_versions_advertises_the_new_apis(wire):
    r = wire.request(w.req(18, 3, client_software_name="tests", client_software_version="1"))
    ranges = {k.api_key: (k.min_version, k.max_version) for k in r.api_keys}
    assert {k: ranges.get(k) for k in (43, 45, 46, 55)} == {
        43: (0, 2),
        45: (0, 0),
        46: (0, 0),
        55: (0, 2),
    }


# --- ElectLeaders -------------------------------------------------------------------------------


@pytest.mark.parametrize("election", list(ElectionType))
def test_confluent_elect_leaders(cluster, election):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    wanted = [TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1), TopicPartition(TOPIC, 9)]
    wanted.append(TopicPartition("no-such-topic", 0))
    result = admin.elect_leaders(election, wanted).result(15)
    codes = {(tp.topic, tp.partition): e and e.code() for tp, e in result.items()}
    assert codes == {
        (TOPIC, 0): KafkaError.ELECTION_NOT_NEEDED,
        (TOPIC, 1): KafkaError.ELECTION_NOT_NEEDED,
        (TOPIC, 9): KafkaError.UNKNOWN_TOPIC_OR_PART,
        ("no-such-topic", 0): KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
    # every partition: none needed an election, so none is in the answer
    assert admin.elect_leaders(election, None).result(15) == {}


@pytest.mark.parametrize("version", [0, 1, 2])
def test_elect_leaders_at_each_version(wire, version):
    elections = [0] if version == 0 else [0, 1]  # v0 has no election type: preferred
    for election in elections:
        r = wire.request(w.elect_leaders(version, {TOPIC: [1, 0], "gone": [3]}, election))
        assert getattr(r, "error_code", E.none) == E.none
        assert [
            (t.topic, [(p.partition_id, p.error_code) for p in t.partition_result])
            for t in r.replica_election_results
        ] == [
            (TOPIC, [(1, E.election_not_needed), (0, E.election_not_needed)]),
            ("gone", [(3, E.unknown_topic_or_partition)]),
        ]
        assert all(p.error_message for t in r.replica_election_results for p in t.partition_result)
        # null: every topic listed (the internal one too), without partitions
        everything = wire.request(w.elect_leaders(version, None, election))
        listed = {t.topic: t.partition_result for t in everything.replica_election_results}
        assert TOPIC in listed and "__consumer_offsets" in listed
        assert set(listed.values()) == {()}


@pytest.mark.parametrize("version", [1, 2])
def test_an_unknown_election_type_fails_the_whole_request(wire, version):
    r = wire.request(w.elect_leaders(version, {TOPIC: [0]}, election=7))
    assert r.error_code == E.invalid_request
    [t] = r.replica_election_results
    assert [(p.partition_id, p.error_code) for p in t.partition_result] == [(0, E.invalid_request)]


# --- partition reassignments --------------------------------------------------------------------


def test_alter_partition_reassignments(wire):
    r = wire.request(
        w.alter_reassignments(
            {
                TOPIC: {0: [1], 1: [2]},
                "gone": {0: [1]},
            }
        )
    )
    assert (r.error_code, r.error_message) == (E.none, None)
    assert [
        (t.name, [(p.partition_index, p.error_code) for p in t.partitions]) for t in r.responses
    ] == [
        (TOPIC, [(0, E.none), (1, E.invalid_replica_assignment)]),
        ("gone", [(0, E.unknown_topic_or_partition)]),
    ]
    assert r.responses[0].partitions[0].error_message is None
    assert "broker 2" in r.responses[0].partitions[1].error_message
    r = wire.request(w.alter_reassignments({TOPIC: {0: None, 1: [1, 1], 2: []}}))
    assert [(p.partition_index, p.error_code) for p in r.responses[0].partitions] == [
        (0, E.no_reassignment_in_progress),
        (1, E.invalid_replica_assignment),
        (2, E.unknown_topic_or_partition),
    ]


@pytest.mark.parametrize("topics", [None, {TOPIC: [0, 1]}, {"gone": [0]}])
def test_list_partition_reassignments_lists_none_in_progress(wire, topics):
    wire.request(w.alter_reassignments({TOPIC: {0: [1]}}))  # completes at once
    r = wire.request(w.list_reassignments(topics))
    assert (r.error_code, r.error_message, r.topics) == (E.none, None, ())


# --- DescribeQuorum -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1, 2])
def test_describe_quorum_at_each_version(cluster, wire, version):
    before = int(time.time() * 1000)
    r = wire.request(w.describe_quorum(version))
    after = int(time.time() * 1000)
    assert r.error_code == E.none
    [topic] = r.topics
    [p] = topic.partitions
    assert (topic.topic_name, p.partition_index, p.error_code) == ("__cluster_metadata", 0, 0)
    end = metadata_log_end(cluster)
    assert end > 0
    assert (p.leader_id, p.leader_epoch, p.high_watermark, p.observers) == (1, 1, end, ())
    [voter] = p.current_voters
    assert (voter.replica_id, voter.log_end_offset) == (1, end)
    if version >= 1:
        assert before <= voter.last_fetch_timestamp <= after
        assert before <= voter.last_caught_up_timestamp <= after
    if version >= 2:
        assert (r.error_message, p.error_message, voter.replica_directory_id) == (None, None, None)
        [node] = r.nodes
        assert node.node_id == 1
        assert [(x.name, x.host, x.port) for x in node.listeners] == [
            ("PLAINTEXT", "127.0.0.1", cluster.port)
        ]


@pytest.mark.parametrize("version", [0, 2])
@pytest.mark.parametrize(
    "topics", [{"__cluster_metadata": [1]}, {"__cluster_metadata": [0, 0]}, {"orders": [0]}]
)
def test_describe_quorum_of_another_partition_is_unknown(wire, version, topics):
    r = wire.request(w.describe_quorum(version, topics))
    assert r.error_code == E.none
    assert [(t.topic_name, [(p.partition_index, p.error_code) for p in t.partitions]) for t in
            r.topics] == [
        (name, [(i, E.unknown_topic_or_partition) for i in ps]) for name, ps in topics.items()
    ]  # fmt: skip
    assert all(p.current_voters == () for t in r.topics for p in t.partitions)


def test_the_quorum_epoch_grows_with_each_start(broker):
    def epoch() -> int:
        with WireClient(broker.bootstrap) as client:
            return client.request(w.describe_quorum(2)).topics[0].partitions[0].leader_epoch

    assert epoch() == 1
    broker.restart()
    assert epoch() == 2
    broker.kill()  # an unclean stop loses no epoch: it was written before serving
    broker.start()
    assert epoch() == 3
