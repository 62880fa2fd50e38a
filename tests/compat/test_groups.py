"""Consumer groups against the real broker process with real clients.

confluent-kafka members run in threads (one Consumer per thread, as librdkafka requires);
each records what it owns after every poll, what it processed, and the offsets it committed
(synchronously, after processing). Assertions wait on conditions, never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest

from tests.harness import wait_for

PARTITIONS = 6
SESSION_MS = 6000


def _topic(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _create_and_fill(bs: str, topic: str, per_partition: int = 20) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bs})  # kept alive until the result is in
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    _produce(bs, topic, per_partition)


def _produce(bs: str, topic: str, per_partition: int) -> None:
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bs})
    for i in range(per_partition * PARTITIONS):
        p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS)
    assert p.flush(30) == 0


@dataclass
class Ledger:
    """What all members of a group did, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    processed: set[tuple[int, int]] = field(default_factory=set)
    commits: dict[int, list[int]] = field(default_factory=dict)  # partition -> committed, in order

    def record(self, partition: int, offset: int) -> None:
        with self.lock:
            self.processed.add((partition, offset))

    def committed(self, partition: int, offset: int) -> None:
        with self.lock:
            self.commits.setdefault(partition, []).append(offset)


class Member(threading.Thread):
    """One confluent-kafka group member polling in its own thread."""

    def __init__(self, bs: str, group: str, topic: str, ledger: Ledger, **extra) -> None:
        super().__init__(daemon=True)
        self.conf = {
            "bootstrap.servers": bs,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": SESSION_MS,
            "heartbeat.interval.ms": 500,
            **extra,
        }
        self.topic = topic
        self.ledger = ledger
        self.owned: frozenset[int] = frozenset()
        self.rebalances = 0  # assign/revoke callbacks seen
        self.first_assignment_s: float | None = None
        self.stop = threading.Event()
        self.started_at = time.monotonic()
        self.error: BaseException | None = None

    def _on_assign(self, consumer, partitions) -> None:
        self.rebalances += 1
        if partitions and self.first_assignment_s is None:
            self.first_assignment_s = time.monotonic() - self.started_at

    def _on_revoke(self, consumer, partitions) -> None:
        self.rebalances += 1

    def run(self) -> None:
        from confluent_kafka import Consumer, TopicPartition

        try:
            c = Consumer(self.conf)
            c.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
            while not self.stop.is_set():
                msg = c.poll(0.1)
                self.owned = frozenset(tp.partition for tp in c.assignment())
                if msg is None or msg.error():
                    continue
                self.ledger.record(msg.partition(), msg.offset())
                try:
                    c.commit(
                        offsets=[TopicPartition(self.topic, msg.partition(), msg.offset() + 1)],
                        asynchronous=False,
                    )
                    self.ledger.committed(msg.partition(), msg.offset() + 1)
                except Exception:  # a commit refused during a rebalance is retried by the next
                    pass
            c.close()
        except BaseException as e:  # surfaced by the test
            self.error = e


def _disjoint_cover(members: list[Member]) -> bool:
    owned = [m.owned for m in members]
    union = frozenset().union(*owned)
    return len(union) == PARTITIONS and sum(len(o) for o in owned) == PARTITIONS and all(owned)


def _start(members: list[Member]) -> None:
    for m in members:
        m.start()


def _stop(members: list[Member]) -> None:
    for m in members:
        m.stop.set()
    for m in members:
        m.join(30)
        assert m.error is None, m.error


def _check_ledger(ledger: Ledger, per_partition: int) -> None:
    expected = {(p, o) for p in range(PARTITIONS) for o in range(per_partition)}
    assert expected <= ledger.processed
    for partition, seq in ledger.commits.items():
        assert seq == sorted(seq), f"committed offset of {partition} went backwards: {seq}"


def _committed(bs: str, group: str, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bs, "group.id": group})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
        return {tp.partition: tp.offset for tp in tps}
    finally:
        c.close()


def test_confluent_group_rebalances_and_commits(broker, capsys):
    bs, topic, group = broker.bootstrap, _topic("grp"), _topic("g")
    _create_and_fill(bs, topic, per_partition=20)
    ledger = Ledger()

    single = Member(bs, _topic("solo"), topic, Ledger())
    single.start()
    wait_for(lambda: single.first_assignment_s is not None, 30, what="first assignment")
    _stop([single])

    members = [Member(bs, group, topic, ledger) for _ in range(3)]
    _start(members)
    wait_for(lambda: _disjoint_cover(members), 30, what="3 members own every partition once")

    leaver = members.pop(0)
    moved = leaver.owned
    left_at = time.monotonic()
    _stop([leaver])
    wait_for(
        lambda: _disjoint_cover(members) and moved <= members[0].owned | members[1].owned,
        30,
        what="the leaver's partitions move",
    )
    rebalance_s = time.monotonic() - left_at

    joiner = Member(bs, group, topic, ledger)
    members.append(joiner)
    joiner.start()
    wait_for(lambda: _disjoint_cover(members), 30, what="the new member gets partitions")
    wait_for(lambda: len(ledger.processed) >= 20 * PARTITIONS, 30, what="all processed")
    wait_for(
        lambda: all(v == 20 for v in _committed(bs, group, topic).values()),
        30,
        what="every partition committed to its end",
    )
    _stop(members)
    _check_ledger(ledger, 20)
    with capsys.disabled():
        print(
            f"\n[groups] confluent-kafka subscribe -> first assignment: "
            f"{single.first_assignment_s * 1000:.0f} ms; "
            f"3-member group rebalance after a leave: {rebalance_s * 1000:.0f} ms"
        )


def test_confluent_cooperative_sticky_moves_only_what_it_must(broker):
    bs, topic, group = broker.bootstrap, _topic("coop"), _topic("g")
    _create_and_fill(bs, topic, per_partition=5)
    ledger = Ledger()
    extra = {"partition.assignment.strategy": "cooperative-sticky"}
    members = [Member(bs, group, topic, ledger, **extra) for _ in range(3)]
    _start(members)
    wait_for(lambda: _disjoint_cover(members), 30, what="3 cooperative members")
    before = {id(m): m.owned for m in members[1:]}
    _stop([members.pop(0)])
    wait_for(lambda: _disjoint_cover(members), 30, what="2 cooperative members own all")
    for m in members:
        assert before[id(m)] <= m.owned, "a survivor lost a partition it did not have to"
    _stop(members)


def test_confluent_static_member_restarts_without_rebalance(broker):
    bs, topic, group = broker.bootstrap, _topic("static"), _topic("g")
    _create_and_fill(bs, topic, per_partition=5)
    ledger = Ledger()
    members = [
        Member(bs, group, topic, ledger, **{"group.instance.id": f"inst-{i}"}) for i in range(3)
    ]
    _start(members)
    wait_for(lambda: _disjoint_cover(members), 30, what="3 static members")
    # let the group settle: every member saw its assignment
    wait_for(lambda: all(m.rebalances >= 1 for m in members), 30, what="callbacks")
    others_before = {id(m): (m.owned, m.rebalances) for m in members[1:]}
    old = members.pop(0)
    old_owned = old.owned
    _stop([old])  # a static member's close sends no LeaveGroup (KIP-345)
    again = Member(bs, group, topic, ledger, **{"group.instance.id": "inst-0"})
    again.start()
    members.append(again)
    wait_for(lambda: again.owned == old_owned, SESSION_MS / 1000, what="same assignment back")
    for m in members[:2]:
        assert (m.owned, m.rebalances) == others_before[id(m)], "the others were rebalanced"
    _stop(members)


def test_confluent_group_resumes_from_committed_offsets_after_restart(broker):
    from confluent_kafka import Consumer, TopicPartition

    bs, topic, group = broker.bootstrap, _topic("restart"), _topic("g")
    _create_and_fill(bs, topic, per_partition=10)
    c = Consumer(
        {
            "bootstrap.servers": bs,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    commits = {p: 3 + p for p in range(PARTITIONS)}
    c.commit(offsets=[TopicPartition(topic, p, o) for p, o in commits.items()], asynchronous=False)
    c.close()
    assert _committed(bs, group, topic) == commits
    broker.restart()
    assert _committed(bs, group, topic) == commits
    _produce(bs, topic, 2)  # 12 per partition now: lag = 12 - committed
    lag_consumer = Consumer({"bootstrap.servers": bs, "group.id": group})
    for p, committed in commits.items():
        _, high = lag_consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        assert high - committed == 12 - committed
    lag_consumer.close()

    ledger = Ledger()
    members = [Member(bs, group, topic, ledger) for _ in range(2)]
    _start(members)
    wait_for(lambda: len(ledger.processed) >= sum(12 - o for o in commits.values()), 30)
    _stop(members)
    first = {p: min(o for q, o in ledger.processed if q == p) for p in range(PARTITIONS)}
    assert first == commits, "the group did not resume from its committed offsets"


class KafkaPythonMember(threading.Thread):
    """One kafka-python consumer polling in its own thread, as applications run it.

    Polling several kafka-python consumers from one thread livelocks the group under load,
    with Apache Kafka as with this broker: kafka-python 3.0 throws away a JoinGroup that
    completed while its consumer was not inside poll() and sends a new one, and a leader's
    JoinGroup in a stable group starts a rebalance (Kafka's rule, so that leaders can react to
    metadata changes). So every generation whose join completed outside the leader's poll
    was followed by another.
    """

    def __init__(self, bs: str, group: str, topic: str, ledger: Ledger) -> None:
        super().__init__(daemon=True)
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            bootstrap_servers=bs,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=SESSION_MS,
            heartbeat_interval_ms=500,
        )
        self.consumer.subscribe([topic])
        self.ledger = ledger
        self.owned: frozenset[int] = frozenset()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from kafka.errors import CommitFailedError, RebalanceInProgressError
        from kafka.structs import OffsetAndMetadata

        try:
            while not self.stopping.is_set():
                for tp, msgs in self.consumer.poll(timeout_ms=100).items():
                    for m in msgs:
                        self.ledger.record(tp.partition, m.offset)
                    try:
                        self.consumer.commit({tp: OffsetAndMetadata(msgs[-1].offset + 1, "", -1)})
                    except (CommitFailedError, RebalanceInProgressError):
                        continue  # the next owner re-processes from the last commit
                    self.ledger.committed(tp.partition, msgs[-1].offset + 1)
                self.owned = frozenset(tp.partition for tp in self.consumer.assignment())
        except BaseException as e:
            self.error = e
        finally:
            self.consumer.close()


def test_kafka_python_group_of_three(broker):
    from kafka import KafkaConsumer, TopicPartition

    bs, topic, group = broker.bootstrap, _topic("kp"), _topic("g")
    _create_and_fill(bs, topic, per_partition=5)
    ledger = Ledger()
    members = [KafkaPythonMember(bs, group, topic, ledger) for _ in range(3)]
    for m in members:
        m.start()

    def balanced() -> bool:
        assert not any(m.error for m in members), [m.error for m in members]
        owned = [m.owned for m in members]
        return (
            len(frozenset().union(*owned)) == PARTITIONS
            and sum(map(len, owned)) == PARTITIONS
            and all(owned)
            and all(ledger.commits.get(p, [0])[-1] == 5 for p in range(PARTITIONS))
        )

    try:
        wait_for(balanced, 60, what="kafka-python group of 3 processes and commits everything")
    finally:
        for m in members:
            m.stopping.set()
        for m in members:
            m.join(30)
    assert ledger.processed == {(p, o) for p in range(PARTITIONS) for o in range(5)}
    assert _committed(bs, group, topic) == {p: 5 for p in range(PARTITIONS)}
    resumed = KafkaConsumer(bootstrap_servers=bs, group_id=group, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    assert {tp.partition: resumed.committed(tp) for tp in tps} == {p: 5 for p in range(6)}
    resumed.close()


def test_aiokafka_group_of_three(broker):
    asyncio.run(_aiokafka_group(broker.bootstrap))


async def _aiokafka_group(bs: str) -> None:
    from aiokafka import AIOKafkaConsumer

    topic, group = _topic("aio"), _topic("g")
    await asyncio.to_thread(_create_and_fill, bs, topic, 5)
    consumers = [
        AIOKafkaConsumer(
            topic,
            bootstrap_servers=bs,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            session_timeout_ms=SESSION_MS,
            heartbeat_interval_ms=500,
        )
        for _ in range(3)
    ]
    for c in consumers:
        await c.start()
    seen: set[tuple[int, int]] = set()
    deadline = time.monotonic() + 60
    while True:
        for c in consumers:
            batches = await c.getmany(timeout_ms=100)
            for tp, msgs in batches.items():
                seen.update((tp.partition, m.offset) for m in msgs)
                if msgs:
                    await c.commit({tp: msgs[-1].offset + 1})
        owned = [frozenset(tp.partition for tp in c.assignment()) for c in consumers]
        if (
            len(frozenset().union(*owned)) == PARTITIONS
            and sum(map(len, owned)) == PARTITIONS
            and len(seen) == 5 * PARTITIONS
        ):
            break
        assert time.monotonic() < deadline, f"aiokafka group: owned {owned}, seen {len(seen)}"
    for c in consumers:
        await c.stop()
    committed = await asyncio.to_thread(_committed, bs, group, topic)
    assert committed == {p: 5 for p in range(PARTITIONS)}


def test_admin_lists_describes_and_deletes_groups(broker):
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    bs, topic, group = broker.bootstrap, _topic("adm"), _topic("g")
    _create_and_fill(bs, topic, per_partition=2)
    ledger = Ledger()
    members = [Member(bs, group, topic, ledger)]
    _start(members)
    wait_for(lambda: _disjoint_cover(members), 30)
    admin = AdminClient({"bootstrap.servers": bs})
    desc = admin.describe_consumer_groups([group])[group].result(10)
    assert desc.state == ConsumerGroupState.STABLE
    assert len(desc.members) == 1
    assert {tp.partition for tp in desc.members[0].assignment.topic_partitions} == set(range(6))
    listed = admin.list_consumer_groups().result(10).valid
    assert group in {g.group_id for g in listed}
    refused = admin.delete_consumer_groups([group])[group]
    with pytest.raises(Exception, match="NON_EMPTY_GROUP"):
        refused.result(10)
    _stop(members)
    wait_for(
        lambda: (
            admin.describe_consumer_groups([group])[group].result(10).state
            == ConsumerGroupState.EMPTY
        ),
        30,
        what="group empty after close",
    )
    admin.delete_consumer_groups([group])[group].result(10)
    assert _committed(bs, group, topic) == {p: -1001 for p in range(PARTITIONS)}


# --- every served version, on the wire -----------------------------------------------------


def _req(api_key: int, version: int, **fields):
    """A kio request of any version; fields the version lacks are dropped (as handlers do)."""
    from kio.index import load_request_schema

    from broker.handlers.context import make

    return make(load_request_schema(api_key, version), **fields)


def _part(api_key: int, version: int, class_name: str, **fields):
    """A nested class of a request version (e.g. JoinGroupRequestProtocol)."""
    import sys

    from kio.index import load_request_schema

    from broker.handlers.context import make

    module = sys.modules[load_request_schema(api_key, version).__module__]
    return make(getattr(module, class_name), **fields)


def _served(key) -> range:
    from broker.protocol.apis import SERVED

    return range(SERVED[key].min, SERVED[key].max + 1)


def test_group_apis_at_every_served_version(broker):
    from kio.schema.errors import ErrorCode

    from broker.protocol.apis import ApiKey
    from tests.wire import WireClient

    bs, topic = broker.bootstrap, _topic("wire")
    _create_and_fill(bs, topic, per_partition=1)
    with WireClient(bs) as w:
        for v in _served(ApiKey.FIND_COORDINATOR):
            r = w.request(_req(10, v, key="g", key_type=0, coordinator_keys=("g", "h")))
            coordinators = r.coordinators if v >= 4 else [r]
            assert all(c.error_code == ErrorCode.none for c in coordinators)
            assert all(c.port == broker.port for c in coordinators)
        r = w.request(_req(10, 3, key="txn", key_type=1))  # the transaction coordinator
        assert (r.error_code, r.port) == (ErrorCode.none, broker.port)
        r = w.request(_req(10, 3, key="x", key_type=7))
        assert r.error_code == ErrorCode.invalid_request

        for v in _served(ApiKey.JOIN_GROUP):
            _join_sync_heartbeat_leave(w, v)
        for v in _served(ApiKey.OFFSET_COMMIT):
            _commit_and_fetch(w, v, topic)

        for v in _served(ApiKey.LIST_GROUPS):
            r = w.request(_req(16, v, states_filter=("Empty",), types_filter=()))
            assert r.error_code == ErrorCode.none
            assert any(g.group_id.startswith("commit-") for g in r.groups)
        for v in _served(ApiKey.DESCRIBE_GROUPS):
            r = w.request(_req(15, v, groups=("nope",), include_authorized_operations=False))
            assert (r.groups[0].error_code, r.groups[0].group_state) == (ErrorCode.none, "Dead")
        for v in _served(ApiKey.DELETE_GROUPS):
            r = w.request(_req(42, v, groups_names=(f"absent-{v}",)))
            assert r.results[0].error_code == ErrorCode.group_id_not_found


def _join_sync_heartbeat_leave(w, v: int) -> None:
    from kio.schema.errors import ErrorCode

    group = f"wire-{v}-{uuid.uuid4().hex[:6]}"
    join = dict(
        group_id=group,
        session_timeout=SESSION_MS,
        rebalance_timeout=SESSION_MS,
        member_id="",
        group_instance_id=None,
        protocol_type="consumer",
        protocols=(_part(11, v, "JoinGroupRequestProtocol", name="range", metadata=b"\0\0"),),
        reason=None,
    )
    r = w.request(_req(11, v, **join))
    if v >= 4:  # KIP-394
        assert r.error_code == ErrorCode.member_id_required and r.member_id
        r = w.request(_req(11, v, **{**join, "member_id": r.member_id}))
    assert r.error_code == ErrorCode.none, (v, r.error_code)
    assert r.leader == r.member_id and r.generation_id == 1 and len(r.members) == 1
    member, gen = r.member_id, r.generation_id
    sv = min(v, 5)
    assignment = _part(14, sv, "SyncGroupRequestAssignment", member_id=member, assignment=b"A")
    r = w.request(
        _req(
            14,
            sv,
            group_id=group,
            generation_id=gen,
            member_id=member,
            group_instance_id=None,
            protocol_type="consumer",
            protocol_name="range",
            assignments=(assignment,),
        )
    )
    assert (r.error_code, r.assignment) == (ErrorCode.none, b"A")
    hv = min(v, 4)
    hb = dict(group_id=group, generation_id=gen, member_id=member, group_instance_id=None)
    assert w.request(_req(12, hv, **hb)).error_code == ErrorCode.none
    stale = w.request(_req(12, hv, **{**hb, "generation_id": gen + 5}))
    assert stale.error_code == ErrorCode.illegal_generation
    lv = min(v, 5)
    if lv >= 3:
        identity = _part(13, lv, "MemberIdentity", member_id=member, group_instance_id=None)
        r = w.request(_req(13, lv, group_id=group, members=(identity,)))
        assert [m.error_code for m in r.members] == [ErrorCode.none]
    else:
        r = w.request(_req(13, lv, group_id=group, member_id=member))
    assert r.error_code == ErrorCode.none
    assert w.request(_req(12, hv, **hb)).error_code == ErrorCode.unknown_member_id


def _commit_and_fetch(w, v: int, topic: str) -> None:
    from kio.schema.errors import ErrorCode

    group = f"commit-{v}-{uuid.uuid4().hex[:6]}"
    partitions = tuple(
        _part(
            8,
            v,
            "OffsetCommitRequestPartition",
            partition_index=p,
            committed_offset=10 + p,
            committed_leader_epoch=-1,
            committed_metadata="meta",
        )
        for p in range(PARTITIONS + 1)  # the last one does not exist
    )
    r = w.request(
        _req(
            8,
            v,
            group_id=group,
            generation_id_or_member_epoch=-1,  # a simple consumer's commit
            member_id="",
            group_instance_id=None,
            retention_time=-1,
            topics=(_part(8, v, "OffsetCommitRequestTopic", name=topic, partitions=partitions),),
        )
    )
    codes = [p.error_code for p in r.topics[0].partitions]
    assert codes == [ErrorCode.none] * PARTITIONS + [ErrorCode.unknown_topic_or_partition]
    wanted = (0, 1, 99)
    for fv in range(1, 10):
        if fv >= 8:
            t = _part(9, fv, "OffsetFetchRequestTopics", name=topic, partition_indexes=wanted)
            g = _part(
                9,
                fv,
                "OffsetFetchRequestGroup",
                group_id=group,
                member_id=None,
                member_epoch=-1,
                topics=(t,),
            )
            r = w.request(_req(9, fv, groups=(g,), require_stable=False))
            topics = r.groups[0].topics
        else:
            t = _part(9, fv, "OffsetFetchRequestTopic", name=topic, partition_indexes=wanted)
            r = w.request(_req(9, fv, group_id=group, topics=(t,), require_stable=False))
            topics = r.topics
        got = {p.partition_index: p.committed_offset for p in topics[0].partitions}
        assert got == {0: 10, 1: 11, 99: -1}, (v, fv, got)
        metadata = {p.partition_index: p.metadata for p in topics[0].partitions}
        assert metadata[0] == "meta"


def test_deleting_a_topic_forgets_its_committed_offsets(broker):
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    bs, topic, group = broker.bootstrap, _topic("del"), _topic("g")
    _create_and_fill(bs, topic, per_partition=1)
    c = Consumer({"bootstrap.servers": bs, "group.id": group})
    c.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    c.close()
    assert _committed(bs, group, topic)[0] == 1
    admin = AdminClient({"bootstrap.servers": bs})
    admin.delete_topics([topic])[topic].result(30)
    _create_and_fill(bs, topic, per_partition=1)
    assert _committed(bs, group, topic) == {p: -1001 for p in range(PARTITIONS)}
    broker.restart()  # the tombstones hold across a restart too
    assert _committed(bs, group, topic) == {p: -1001 for p in range(PARTITIONS)}
