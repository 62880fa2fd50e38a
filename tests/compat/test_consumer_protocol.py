"""KIP-848 consumer groups (group.protocol=consumer) with the real broker: confluent-kafka
consumers, and raw ConsumerGroupHeartbeat / ConsumerGroupDescribe / ListGroups frames."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic
from kio.schema.consumer_group_describe.v0.request import ConsumerGroupDescribeRequest
from kio.schema.consumer_group_heartbeat.v1.request import ConsumerGroupHeartbeatRequest
from kio.schema.join_group.v5.request import JoinGroupRequest, JoinGroupRequestProtocol
from kio.schema.list_groups.v5.request import ListGroupsRequest

from broker.errors import ErrorCode
from tests.harness import wait_for
from tests.wire import WireClient

FAST = [
    "--set",
    "group.consumer.heartbeat.interval.ms=300",
    "--set",
    "group.consumer.session.timeout.ms=4000",
]


class Member:
    """A consumer of the new protocol whose owned partitions are tracked by its callbacks."""

    def __init__(self, bootstrap: str, group: str, topic: str, **extra) -> None:
        conf = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "group.protocol": "consumer",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        } | extra
        self.consumer = Consumer(conf)
        self.owned: set[int] = set()
        self.records: list[tuple[int, int]] = []
        self.consumer.subscribe([topic], on_assign=self._assign, on_revoke=self._revoke)

    def _assign(self, _c, parts) -> None:
        self.owned |= {p.partition for p in parts}

    def _revoke(self, _c, parts) -> None:
        self.owned -= {p.partition for p in parts}

    def poll(self) -> None:
        m = self.consumer.poll(0.05)
        if m is not None and not m.error():
            self.records.append((m.partition(), m.offset()))


def _topic(bootstrap: str, partitions: int) -> str:
    name = f"kip848-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # must outlive the future
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result()
    return name


def _run_until(members: list[Member], cond, timeout: float = 20.0) -> None:
    """Poll every member until cond(); no partition may ever have two owners meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in members:
            m.poll()
            owners = [p for x in members for p in x.owned]
            assert len(owners) == len(set(owners)), f"double ownership: {owners}"
        if cond():
            return
    raise AssertionError("condition not reached; owned: " + str([m.owned for m in members]))


def test_members_share_partitions_without_double_ownership(broker_factory):
    b = broker_factory(*FAST)
    topic = _topic(b.bootstrap, 4)
    group = f"g-{uuid.uuid4().hex[:6]}"
    a = Member(b.bootstrap, group, topic)
    _run_until([a], lambda: a.owned == {0, 1, 2, 3})
    c = Member(b.bootstrap, group, topic)
    _run_until([a, c], lambda: len(a.owned) == 2 and len(c.owned) == 2)
    # new partitions are assigned too
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_partitions([NewPartitions(topic, 6)])[topic].result()
    _run_until([a, c], lambda: len(a.owned) + len(c.owned) == 6 and len(a.owned) == 3)
    c.consumer.close()
    c.owned.clear()
    _run_until([a], lambda: a.owned == set(range(6)))
    a.consumer.close()


def test_static_member_rejoin_keeps_its_assignment(broker_factory):
    b = broker_factory(*FAST)
    topic = _topic(b.bootstrap, 4)
    group = f"g-{uuid.uuid4().hex[:6]}"
    a = Member(b.bootstrap, group, topic, **{"group.instance.id": "ia"})
    c = Member(b.bootstrap, group, topic, **{"group.instance.id": "ic"})
    _run_until([a, c], lambda: len(a.owned) == 2 and len(c.owned) == 2)
    kept = set(c.owned)
    c.consumer.close()  # a static member's close is a temporary leave (epoch -2)
    c2 = Member(b.bootstrap, group, topic, **{"group.instance.id": "ic"})
    _run_until([a, c2], lambda: c2.owned == kept)
    assert len(a.owned) == 2
    a.consumer.close()
    c2.consumer.close()


def test_commits_survive_consumer_and_broker_restarts(broker_factory):
    b = broker_factory(*FAST)
    topic = _topic(b.bootstrap, 2)
    group = f"g-{uuid.uuid4().hex[:6]}"
    p = Producer({"bootstrap.servers": b.bootstrap})
    for i in range(10):
        p.produce(topic, value=str(i).encode(), partition=i % 2)
    p.flush(10)
    a = Member(b.bootstrap, group, topic)
    _run_until([a], lambda: len(a.records) == 10)
    a.consumer.commit(
        offsets=[TopicPartition(topic, 0, 3), TopicPartition(topic, 1, 5)], asynchronous=False
    )
    a.consumer.close()
    again = Member(b.bootstrap, group, topic)
    _run_until([again], lambda: len(again.records) == 2 + 5 - 5)
    assert sorted(again.records) == [(0, 3), (0, 4)]
    # the broker dies under a live member; the group and its epochs come back
    epoch_before = _describe(b.bootstrap, group).group_epoch
    b.kill()
    b.start()
    described = _describe(b.bootstrap, group)
    assert described.group_epoch >= epoch_before
    assert len(described.members) == 1
    _run_until([again], lambda: _describe(b.bootstrap, group).group_state == "Stable")
    assert again.owned == {0, 1}
    again.consumer.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
    b.stop()
    b.start()
    committed = AdminClient({"bootstrap.servers": b.bootstrap})
    fut = committed.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group]
    offsets = {tp.partition: tp.offset for tp in fut.result().topic_partitions}
    assert offsets == {0: 5, 1: 5}
    again.consumer.close()


def _describe(bootstrap: str, group: str):
    with WireClient(bootstrap) as w:
        resp = w.request(
            ConsumerGroupDescribeRequest(group_ids=(group,), include_authorized_operations=False)
        )
    return resp.groups[0]


def _raw_join(w: WireClient, group: str, member: str, topic: str):
    return w.request(
        ConsumerGroupHeartbeatRequest(
            group_id=group,
            member_id=member,
            member_epoch=0,
            rebalance_timeout=timedelta(seconds=30),
            subscribed_topic_names=(topic,),
            topic_partitions=(),
        )
    )


def test_wire_describe_list_mixing_and_session_timeout(broker_factory):
    b = broker_factory(*FAST)
    topic = _topic(b.bootstrap, 2)
    group = f"g-{uuid.uuid4().hex[:6]}"
    with WireClient(b.bootstrap) as w:
        joined = _raw_join(w, group, "raw-member", topic)
        assert joined.error_code is ErrorCode.none
        assert joined.member_epoch == 1
        assert joined.heartbeat_interval.total_seconds() == 0.3
        assert sum(len(t.partitions) for t in joined.assignment.topic_partitions) == 2
        d = w.request(
            ConsumerGroupDescribeRequest(
                group_ids=(group, "nope"), include_authorized_operations=False
            )
        )
        g, missing = d.groups
        assert (g.group_state, g.group_epoch, g.assignment_epoch, g.assignor_name) == (
            "Stable",
            1,
            1,
            "uniform",
        )
        assert g.members[0].member_id == "raw-member"
        assert g.members[0].assignment.topic_partitions[0].topic_name == topic
        assert missing.error_code is ErrorCode.group_id_not_found
        listed = w.request(ListGroupsRequest(states_filter=(), types_filter=("consumer",)))
        assert [(x.group_id, x.group_type, x.protocol_type) for x in listed.groups] == [
            (group, "consumer", "consumer")
        ]
        classic_only = w.request(ListGroupsRequest(states_filter=(), types_filter=("classic",)))
        assert group not in [x.group_id for x in classic_only.groups]
        refused = w.request(
            JoinGroupRequest(
                group_id=group,
                session_timeout=timedelta(seconds=10),
                rebalance_timeout=timedelta(seconds=10),
                member_id="",
                protocol_type="consumer",
                protocols=(JoinGroupRequestProtocol(name="range", metadata=b""),),
            )
        )
        assert refused.error_code is ErrorCode.inconsistent_group_protocol
    # the raw member never heartbeats again: a real consumer gets everything after its
    # session timed out
    m = Member(b.bootstrap, group, topic)
    _run_until([m], lambda: m.owned == {0, 1}, timeout=20)
    assert [x.member_id for x in _describe(b.bootstrap, group).members] != ["raw-member"]
    m.consumer.close()
    wait_for(lambda: _describe(b.bootstrap, group).group_state == "Empty", timeout=10)
