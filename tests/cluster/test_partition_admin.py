"""Leader elections and reassignments in the controller: Kafka's rules, on one node and in
the multi-broker states the pure election rules already cover."""

from __future__ import annotations

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.metadata import records as mr
from broker.metadata.elections import ElectionType, LeaderChange, elect
from broker.metadata.image import PartitionImage
from broker.metadata.reassignments import check_target
from tests.metadata.helpers import log_file, open_controller

E = ErrorCode
PREFERRED, UNCLEAN = ElectionType.PREFERRED, ElectionType.UNCLEAN


def code_of(call) -> ErrorCode:
    with pytest.raises(KafkaError) as e:
        call()
    assert e.value.message and e.value.message != e.value.code.name
    return e.value.code


def codes(t) -> list[tuple[int, ErrorCode | None]]:
    return [(i, e and e.code) for i, e in t.results]


# --- the election rules, with several brokers -------------------------------------------------


@pytest.mark.parametrize(
    "replicas, isr, leader, election, live, outcome",
    [
        ((1, 2), (1, 2), 1, PREFERRED, {1, 2}, E.election_not_needed),
        ((1, 2), (1, 2), 2, PREFERRED, {1, 2}, LeaderChange(1, None)),
        ((1, 2), (2,), 2, PREFERRED, {1, 2}, E.preferred_leader_not_available),  # not in sync
        ((1, 2), (1, 2), 2, PREFERRED, {2}, E.preferred_leader_not_available),  # not alive
        ((1, 2), (1, 2), -1, PREFERRED, {1, 2}, LeaderChange(1, None)),
        ((1, 2), (1, 2), 2, UNCLEAN, {1, 2}, E.election_not_needed),  # has a leader
        ((1, 2, 3), (2, 3), -1, UNCLEAN, {3}, LeaderChange(3, None)),  # clean: live ISR member
        ((1, 2, 3), (2,), -1, UNCLEAN, {3, 1}, LeaderChange(1, (1,))),  # unclean: first live
        ((1, 2), (1,), -1, UNCLEAN, set(), E.eligible_leaders_not_available),
    ],
)
def test_election_rules(replicas, isr, leader, election, live, outcome):
    p = PartitionImage(replicas, isr, leader)
    if isinstance(outcome, LeaderChange):
        assert elect(p, election, live) == outcome
    else:
        assert code_of(lambda: elect(p, election, live)) == outcome


def test_an_unknown_election_type_is_an_invalid_request():
    assert ElectionType.of(1) is UNCLEAN
    assert code_of(lambda: ElectionType.of(2)) == E.invalid_request


@pytest.mark.parametrize(
    "replicas, text",
    [([], "empty"), ([2], "broker 2 is not registered"), ([1, 1], "broker 1 is named more")],
)
def test_target_checks(replicas, text):
    with pytest.raises(KafkaError) as e:
        check_target(replicas, {1})
    assert e.value.code == E.invalid_replica_assignment and text in e.value.message
    check_target([1, 2], {1, 2})


def test_target_brokers_are_checked_in_id_order_as_kafka_does():
    # [3, 3] is both unregistered and doubled: the first check on the lowest id decides
    with pytest.raises(KafkaError, match="broker 3 is not registered"):
        check_target([3, 3], {1})


# --- the controller on one node ----------------------------------------------------------------


def test_every_election_on_one_node_is_not_needed_and_writes_nothing(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("t", 2, 1)
    size = log_file(tmp_path).stat().st_size
    for election in ElectionType:
        [t] = c.elect_leaders([("t", [1, 0, 9])], election)
        assert t.topic == "t"
        assert codes(t) == [
            (1, E.election_not_needed),
            (0, E.election_not_needed),
            (9, E.unknown_topic_or_partition),
        ]
        [missing] = c.elect_leaders([("nope", [0])], election)
        assert codes(missing) == [(0, E.unknown_topic_or_partition)]
        # every partition: each topic listed, no partition (none needed an election)
        everything = c.elect_leaders(None, election)
        assert [(t.topic, t.results) for t in everything] == [("t", [])]
    assert log_file(tmp_path).stat().st_size == size


def test_a_leaderless_partition_is_elected_once_and_the_change_is_durable(tmp_path):
    c = open_controller(tmp_path)
    topic = c.create_topic("t", 2, 1)
    c.store.commit([mr.PartitionChangeRecord(topic.topic_id, 1, leader=mr.NO_LEADER, isr=())])
    # the preferred replica is out of sync: only an unclean election can bring it back
    [t] = c.elect_leaders([("t", [1])], PREFERRED)
    assert codes(t) == [(1, E.preferred_leader_not_available)]
    everything = c.elect_leaders(None, UNCLEAN)
    assert [(t.topic, t.results) for t in everything] == [("t", [(1, None)])]
    p = c.image.topics_by_name["t"].partitions[1]
    assert (p.leader, p.isr, p.leader_epoch) == (1, (1,), 2)  # going offline was 1
    c.store.close()
    reopened = open_controller(tmp_path).image.topics_by_name["t"].partitions[1]
    assert (reopened.leader, reopened.isr, reopened.leader_epoch) == (1, (1,), 2)


def test_a_partition_named_twice_is_elected_once(tmp_path):
    c = open_controller(tmp_path)
    topic = c.create_topic("t", 1, 1)
    c.store.commit([mr.PartitionChangeRecord(topic.topic_id, 0, leader=mr.NO_LEADER)])
    end = c.store.next_offset
    [t] = c.elect_leaders([("t", [0, 0])], UNCLEAN)
    assert codes(t) == [(0, None), (0, E.election_not_needed)]
    assert c.store.next_offset == end + 1  # one record, in one batch
    assert c.image.topics_by_name["t"].partitions[0].leader_epoch == 2


def test_reassignment_to_the_current_replicas_completes_and_others_are_refused(tmp_path):
    c = open_controller(tmp_path)
    c.create_topic("t", 1, 1)
    size = log_file(tmp_path).stat().st_size
    c.alter_reassignment("t", 0, [1])  # a no-op: already there
    for args, code in [
        (("t", 0, [2]), E.invalid_replica_assignment),
        (("t", 0, [1, 1]), E.invalid_replica_assignment),
        (("t", 0, []), E.invalid_replica_assignment),
        (("t", 0, None), E.no_reassignment_in_progress),
        (("t", 5, [1]), E.unknown_topic_or_partition),
        (("t", 5, None), E.unknown_topic_or_partition),  # the partition is checked first
        (("nope", 0, [1]), E.unknown_topic_or_partition),
    ]:
        assert code_of(lambda args=args: c.alter_reassignment(*args)) == code, args
    assert c.reassignments_in_progress() == []
    assert log_file(tmp_path).stat().st_size == size
