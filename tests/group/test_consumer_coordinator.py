"""The KIP-848 consumer group coordinator with a fake clock and an in-memory offsets log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from broker.errors import ErrorCode
from broker.group.consumer.coordinator import ConsumerConfig, HeartbeatRequest
from broker.group.consumer.model import ConsumerGroupState
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator, JoinRequest
from broker.group.offsets import OffsetAndMetadata
from tests.group.fakes import make_coordinator, subscription

T = uuid.UUID(int=11)


@dataclass
class Topic:
    topic_id: uuid.UUID
    partitions: dict = field(default_factory=dict)


TOPICS = {"t": Topic(T, dict.fromkeys(range(4)))}


def join(coord, member: str, topics=TOPICS, **kw):
    kw.setdefault("topic_names", ("t",))
    req = HeartbeatRequest("g", member, 0, rebalance_timeout_ms=30000, owned={}, **kw)
    return coord.consumer.heartbeat(req, topics)


def beat(coord, member: str, epoch: int, owned=None, topics=TOPICS, **kw):
    return coord.consumer.heartbeat(HeartbeatRequest("g", member, epoch, owned=owned, **kw), topics)


def owned(result):
    return result.assignment.get(T, frozenset()) if result.assignment is not None else None


def test_first_member_gets_everything_and_a_second_takes_half_after_revocation():
    coord, _, _ = make_coordinator()
    r1 = join(coord, "a")
    assert r1.error is ErrorCode.none and r1.member_epoch == 1
    assert owned(r1) == frozenset(range(4))
    assert r1.heartbeat_interval_ms == 5000
    r2 = join(coord, "b")
    # b must wait: a still holds every partition
    assert r2.member_epoch == 2 and owned(r2) == frozenset()
    group = coord.consumer.groups["g"]
    assert group.state is ConsumerGroupState.RECONCILING
    ra = beat(coord, "a", 1)
    keep = owned(ra)
    assert len(keep) == 2 and ra.member_epoch == 1  # asked to revoke, still epoch 1
    ra = beat(coord, "a", 1, owned={T: keep})
    assert ra.member_epoch == 2
    rb = beat(coord, "b", 2)
    assert owned(rb) == frozenset(range(4)) - keep
    assert group.state is ConsumerGroupState.STABLE
    holders = [m.assignment.assigned.get(T, frozenset()) for m in group.members.values()]
    assert sum(len(h) for h in holders) == 4 and not holders[0] & holders[1]


def test_epoch_fencing_and_unknown_members():
    coord, _, _ = make_coordinator()
    join(coord, "a")
    assert beat(coord, "a", 5).error is ErrorCode.fenced_member_epoch
    assert beat(coord, "zz", 1).error is ErrorCode.unknown_member_id
    assert beat(coord, "a", 1).error is ErrorCode.none
    # the previous epoch is accepted only with owned partitions inside the assignment
    join(coord, "b")
    a = coord.consumer.groups["g"].members["a"]
    beat(coord, "a", 1)  # asked to revoke half
    beat(coord, "a", 1, owned={T: a.assignment.assigned[T]})
    assert a.member_epoch == 2
    assert beat(coord, "a", 1, owned={T: a.assignment.assigned[T]}).error is ErrorCode.none
    assert beat(coord, "a", 1, owned={T: frozenset(range(4))}).error is (
        ErrorCode.fenced_member_epoch
    )


def test_invalid_requests_and_unsupported_assignor():
    coord, _, _ = make_coordinator()
    bad = HeartbeatRequest("g", "a", 0, rebalance_timeout_ms=-1, owned={}, topic_names=("t",))
    assert coord.consumer.heartbeat(bad, TOPICS).error is ErrorCode.invalid_request
    assert join(coord, "").error is ErrorCode.invalid_request  # v1: the client makes the id
    assert join(coord, "a", server_assignor="sticky").error is ErrorCode.unsupported_assignor
    assert join(coord, "a", topic_regex="t[").error is ErrorCode.invalid_regular_expression
    v0 = HeartbeatRequest(
        "g", "", 0, rebalance_timeout_ms=1, owned={}, topic_names=("t",), version=0
    )
    assert coord.consumer.heartbeat(v0, TOPICS).member_id  # v0: the coordinator makes it


def test_leave_gives_partitions_back_and_session_timeout_removes():
    coord, clock, _ = make_coordinator()
    join(coord, "a")
    join(coord, "b")
    beat(coord, "a", 1, owned={})
    assert beat(coord, "b", 2, owned={}).error is ErrorCode.none
    left = beat(coord, "b", -1)
    assert (left.member_id, left.member_epoch) == ("b", -1)
    ra = beat(coord, "a", 2, owned={})
    assert owned(ra) == frozenset(range(4))
    clock.advance(44_000)
    beat(coord, "a", ra.member_epoch, owned={T: frozenset(range(4))})
    clock.advance(44_000)
    assert "a" in coord.consumer.groups["g"].members  # kept alive by its heartbeat
    clock.advance(2_000)
    assert not coord.consumer.groups["g"].members
    assert coord.consumer.groups["g"].state is ConsumerGroupState.EMPTY


def test_static_member_temporary_leave_and_rejoin_keeps_its_assignment():
    coord, _, _ = make_coordinator()
    join(coord, "a", instance_id="i1")
    join(coord, "b", instance_id="i2")
    beat(coord, "a", 1, owned={}, instance_id="i1")
    rb = beat(coord, "b", 2, owned={}, instance_id="i2")
    b_parts = coord.consumer.groups["g"].members["b"].assignment.assigned[T]
    assert rb.error is ErrorCode.none
    assert beat(coord, "b", -2, instance_id="i2").member_epoch == -2
    # another process claiming the instance before the leave would be refused
    assert join(coord, "c", instance_id="i1").error is ErrorCode.unreleased_instance_id
    back = join(coord, "b2", instance_id="i2")
    assert back.error is ErrorCode.none
    assert owned(back) == b_parts
    assert "b" not in coord.consumer.groups["g"].members
    assert beat(coord, "b", 2, instance_id="i2").error is ErrorCode.fenced_instance_id


def test_new_partitions_and_deleted_topics_rebalance():
    coord, _, _ = make_coordinator()
    r = join(coord, "a")
    grown = {"t": Topic(T, dict.fromkeys(range(6)))}
    r2 = beat(coord, "a", r.member_epoch, owned={T: frozenset(range(4))}, topics=grown)
    assert owned(r2) == frozenset(range(6))
    r3 = beat(coord, "a", r2.member_epoch, owned={T: frozenset(range(6))}, topics={})
    assert r3.assignment == {}


def test_restart_replays_the_group():
    coord, clock, store = make_coordinator()
    join(coord, "a")
    r = join(coord, "b")
    coord.commit_offsets("g", r.member_epoch, "b", None, {("t", 0): OffsetAndMetadata(5)}, 9)
    coord.stop()
    again = GroupCoordinator(CoordinatorConfig(), clock, store)
    again.load()
    group = again.consumer.groups["g"]
    before = coord.consumer.groups["g"]
    assert (group.group_epoch, group.assignment_epoch) == (before.group_epoch, 2)
    assert {m: x.assignment for m, x in group.members.items()} == {
        m: x.assignment for m, x in before.members.items()
    }
    assert group.target == before.target
    assert group.partition_epochs == before.partition_epochs
    assert group.offsets[("t", 0)].offset == 5
    assert beat(again, "a", 1).error is ErrorCode.none


def test_offset_commit_checks_member_epoch_and_version():
    coord, _, _ = make_coordinator()
    r = join(coord, "a")
    om = {("t", 0): OffsetAndMetadata(1)}
    assert coord.commit_offsets("g", r.member_epoch, "a", None, om, 9) == {("t", 0): ErrorCode.none}
    assert coord.commit_offsets("g", 7, "a", None, om, 9)[("t", 0)] is ErrorCode.stale_member_epoch
    assert coord.commit_offsets("g", 1, "a", None, om, 8)[("t", 0)] is (
        ErrorCode.unsupported_version
    )
    assert coord.commit_offsets("g", -1, "", None, om, 9)[("t", 0)] is ErrorCode.unknown_member_id


def test_classic_and_consumer_share_group_ids():
    coord, _, _ = make_coordinator()
    join(coord, "a")
    fut = coord.join(
        JoinRequest(
            "g", "", None, "c", "h", 10000, 10000, "consumer", [("range", subscription("t"))]
        )
    )
    assert fut.result().error is ErrorCode.inconsistent_group_protocol
    # an empty consumer group becomes a classic one, offsets kept
    coord.commit_offsets("g", 1, "a", None, {("t", 1): OffsetAndMetadata(3)}, 9)
    beat(coord, "a", -1)
    assert coord.delete_offsets("g", [("t", 1)])[1] == {("t", 1): ErrorCode.none}
    coord.commit_offsets("g", -1, "", None, {("t", 2): OffsetAndMetadata(4)}, 9)
    fut = coord.join(
        JoinRequest(
            "g", "", None, "c", "h", 10000, 10000, "consumer", [("range", subscription("t"))]
        )
    )
    assert fut.result().error is ErrorCode.member_id_required
    assert "g" not in coord.consumer.groups
    assert coord.groups["g"].offsets[("t", 2)].offset == 4
    # and a consumer heartbeat to a classic group with members is refused
    coord.join(
        JoinRequest(
            "g",
            fut.result().member_id,
            None,
            "c",
            "h",
            10000,
            10000,
            "consumer",
            [("range", subscription("t"))],
        )
    )
    assert join(coord, "x").error is ErrorCode.group_id_not_found


def test_delete_group_only_when_empty():
    coord, _, store = make_coordinator()
    join(coord, "a")
    assert coord.delete_group("g") is ErrorCode.non_empty_group
    beat(coord, "a", -1)
    assert coord.delete_group("g") is ErrorCode.none
    assert "g" not in coord.consumer.groups
    fresh = GroupCoordinator(CoordinatorConfig(consumer=ConsumerConfig()), *_clock_store(store))
    fresh.load()
    assert "g" not in fresh.consumer.groups and "g" not in fresh.groups


def _clock_store(store):
    from tests.group.fakes import FakeScheduler

    return FakeScheduler(), store


def test_regex_subscriptions_get_only_topics_their_member_may_describe():
    pub, sec = uuid.UUID(int=21), uuid.UUID(int=22)
    topics = {"logs-pub": Topic(pub, {0: None}), "logs-secret": Topic(sec, {0: None})}
    allowed = {"a": {"logs-pub"}, "b": {"logs-pub", "logs-secret"}}

    def check(member):
        return lambda topic: topic in allowed[member]

    def regex_join(coord, member):
        return join(coord, member, topics, topic_names=(), topic_regex="logs-.*",
                    may_describe=check(member))

    coord, clock, store = make_coordinator()
    ra = regex_join(coord, "a")
    assert ra.assignment == {pub: frozenset({0})}  # logs-secret matches but is hidden from a
    group = coord.consumer.groups["g"]
    assert set(group.subscription_metadata) == {"logs-pub"}
    rb = regex_join(coord, "b")
    # b may see logs-secret: it counts for the group now, and only b can be given it
    assert set(group.subscription_metadata) == {"logs-pub", "logs-secret"}
    assert group.target["b"].get(sec) == frozenset({0})
    assert sec not in group.target["a"]
    assert rb.error is ErrorCode.none
    # An ACL change counts at the next heartbeat: a loses nothing it may see, b loses secret.
    allowed["b"] = {"logs-pub"}
    beat(coord, "b", rb.member_epoch, topics=topics, may_describe=check("b"))
    assert set(group.subscription_metadata) == {"logs-pub"}
    assert all(sec not in t for t in group.target.values())
    # Replayed after a restart, a member that has not heartbeated yet keeps what its regex
    # resolved to; another member's heartbeat does not widen it.
    coord.stop()
    again = GroupCoordinator(CoordinatorConfig(), clock, store)
    again.load()
    allowed["b"] = {"logs-pub", "logs-secret"}
    r = beat(again, "a", again.consumer.groups["g"].members["a"].member_epoch, topics=topics,
             may_describe=check("a"))
    assert r.error is ErrorCode.none
    assert set(again.consumer.groups["g"].subscription_metadata) == {"logs-pub"}


def test_without_an_authorizer_a_regex_gets_every_match():
    coord, _, _ = make_coordinator()
    topics = {"x1": Topic(uuid.UUID(int=31), {0: None}), "x2": Topic(uuid.UUID(int=32), {0: None})}
    r = join(coord, "a", topics, topic_names=(), topic_regex="x.")
    assert set(r.assignment) == {uuid.UUID(int=31), uuid.UUID(int=32)}
