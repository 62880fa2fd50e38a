"""One picture of the cluster per refresh: brokers, topics with offsets, groups with lag.

``fetch_snapshot(cluster, previous)`` asks metadata, log start/end offsets, partition sizes
(DescribeLogDirs) and consumer groups over the Kafka protocol and returns a
:class:`ClusterSnapshot`. Rates (messages/s in, lag change per second) are deltas against
``previous``, so the caller passes the last snapshot back in. Groups are optional: a broker
without the group APIs still yields a full snapshot, with ``groups_error`` saying why there
are no groups.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaException

from kctl import group_admin as ga
from kctl.client import INTERNAL_TOPICS, BrokerInfo, Cluster, kafka_error
from tui.data.log_dirs import partition_sizes


@dataclass(frozen=True)
class PartitionStats:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    log_start: int | None
    log_end: int | None
    msgs_per_s: float = 0.0
    error: str | None = None
    size_bytes: int | None = None  # on the leader's disk (DescribeLogDirs), if known

    @property
    def messages(self) -> int | None:
        if self.log_start is None or self.log_end is None:
            return None
        return self.log_end - self.log_start

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def offline(self) -> bool:
        return self.leader < 0


@dataclass(frozen=True)
class TopicStats:
    name: str
    partitions: tuple[PartitionStats, ...]
    error: str | None = None

    @property
    def internal(self) -> bool:
        return self.name in INTERNAL_TOPICS

    @property
    def replication_factor(self) -> int:
        return max((len(p.replicas) for p in self.partitions), default=0)

    @property
    def messages(self) -> int:
        return sum(p.messages or 0 for p in self.partitions)

    @property
    def msgs_per_s(self) -> float:
        return sum(p.msgs_per_s for p in self.partitions)

    @property
    def size_bytes(self) -> int | None:
        known = [p.size_bytes for p in self.partitions if p.size_bytes is not None]
        return sum(known) if known else None


@dataclass(frozen=True)
class GroupPartition:
    topic: str
    partition: int
    committed: int | None
    log_end: int | None
    member: str | None  # client id of the member it is assigned to

    @property
    def lag(self) -> int | None:
        if self.committed is None or self.log_end is None:
            return None
        return max(self.log_end - self.committed, 0)


@dataclass(frozen=True)
class GroupStats:
    group: str
    state: str
    members: tuple[ga.Member, ...]
    partitions: tuple[GroupPartition, ...]
    lag_per_s: float = 0.0  # negative: catching up
    consumed_per_s: float = 0.0  # committed offsets advanced per second
    error: str | None = None

    @property
    def committed_total(self) -> int:
        return sum(p.committed or 0 for p in self.partitions)

    @property
    def total_lag(self) -> int:
        return sum(p.lag or 0 for p in self.partitions)

    @property
    def seconds_to_catch_up(self) -> float | None:
        """At the current rate of catching up; None when not catching up (or no lag)."""
        if self.total_lag == 0:
            return 0.0
        if self.lag_per_s >= 0:
            return None
        return self.total_lag / -self.lag_per_s


@dataclass(frozen=True)
class ClusterSnapshot:
    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerInfo, ...]
    topics: tuple[TopicStats, ...]
    groups: tuple[GroupStats, ...] = ()
    groups_error: str | None = None
    taken_at: float = field(default_factory=time.monotonic)
    # Some request went unanswered: the client may be stuck (see DashboardApp._fetch).
    timed_out: bool = False

    @property
    def partition_count(self) -> int:
        return sum(len(t.partitions) for t in self.topics)

    @property
    def under_replicated(self) -> int:
        return sum(p.under_replicated for t in self.topics for p in t.partitions)

    @property
    def offline(self) -> int:
        return sum(p.offline for t in self.topics for p in t.partitions)

    @property
    def msgs_in_per_s(self) -> float:
        """Produced by clients: internal topics (offset commits, ...) do not count."""
        return sum(t.msgs_per_s for t in self.topics if not t.internal)

    @property
    def internal_partition_count(self) -> int:
        return sum(len(t.partitions) for t in self.topics if t.internal)

    @property
    def msgs_out_per_s(self) -> float:
        """Consumption seen by the cluster: committed offsets advancing, over all groups."""
        return sum(g.consumed_per_s for g in self.groups)

    def topic(self, name: str) -> TopicStats | None:
        return next((t for t in self.topics if t.name == name), None)

    def group(self, name: str) -> GroupStats | None:
        return next((g for g in self.groups if g.group == name), None)


def fetch_snapshot(
    cluster: Cluster, previous: ClusterSnapshot | None = None, *, groups: bool = True
) -> ClusterSnapshot:
    """Ask the cluster for a new snapshot; raises KctlError when the cluster does not answer."""
    view = cluster.cluster_view()
    now = time.monotonic()
    tps = [(p.topic, p.partition) for t in view.topics for p in t.partitions]
    try:
        marks = cluster.watermarks(tps)
    except KafkaException as e:
        raise kafka_error(e, "list offsets") from e
    leaders = {(p.topic, p.partition): p.leader for t in view.topics for p in t.partitions}
    sizes = partition_sizes(cluster, view.brokers, leaders, min(cluster.timeout, 2.0))
    elapsed = now - previous.taken_at if previous else 0.0
    before = _ends(previous) if previous else {}
    topics = []
    for t in view.topics:
        parts = []
        for p in t.partitions:
            start, end = marks.get((p.topic, p.partition), (None, None))
            rate = 0.0
            prior = before.get((p.topic, p.partition))
            if elapsed > 0 and prior is not None and end is not None:
                rate = max(end - prior, 0) / elapsed
            parts.append(PartitionStats(p.topic, p.partition, p.leader, p.replicas, p.isr,
                                        start, end, rate, p.error,
                                        sizes.get((p.topic, p.partition))))
        topics.append(TopicStats(t.name, tuple(parts), t.error))
    ends = {tp: m[1] for tp, m in marks.items()}
    group_stats: tuple[GroupStats, ...] = ()
    groups_error = None
    timed_out = False
    if groups:
        try:
            group_stats, timed_out = _groups(cluster, ends, previous, elapsed)
        except (KafkaException, TimeoutError) as e:
            timed_out = ga.timed_out(e)
            groups_error = (f"the group APIs gave no answer within {cluster.timeout:g}s"
                            if timed_out else kafka_error(e, "list groups").message)
    return ClusterSnapshot(view.cluster_id, view.controller_id, view.brokers, tuple(topics),
                           group_stats, groups_error, now, timed_out)


def _ends(snap: ClusterSnapshot) -> dict[tuple[str, int], int | None]:
    return {(p.topic, p.partition): p.log_end for t in snap.topics for p in t.partitions}


def _groups(
    cluster: Cluster,
    ends: dict[tuple[str, int], int | None],
    previous: ClusterSnapshot | None,
    elapsed: float,
) -> tuple[tuple[GroupStats, ...], bool]:
    """Every group's stats, and whether any of its requests went unanswered."""
    admin, timeout = cluster.admin(), cluster.timeout
    listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    if listed.errors and not listed.valid:
        # e.g. a broker without ListGroups: librdkafka reports it here, not as an exception.
        raise KafkaException(listed.errors[0])
    listings = sorted(listed.valid, key=lambda g: g.group_id)
    answers = ga.describe_groups_with_offsets(admin, [g.group_id for g in listings], timeout)
    out = []
    timed_out = False
    for listing in listings:
        name = listing.group_id
        answer = answers[name]
        if isinstance(answer, Exception):
            # One broken group must not hide the others.
            unanswered = ga.timed_out(answer)
            timed_out |= unanswered
            reason = (f"group {name}: no answer in time" if unanswered
                      else kafka_error(answer, f"group {name}").message)
            out.append(GroupStats(name, getattr(listing.state, "name", str(listing.state)), (),
                                  (), error=reason))
            continue
        desc, committed = answer
        owner = {tp: m.client_id for m in desc.members for tp in m.assignment}
        parts = tuple(
            GroupPartition(tp[0], tp[1], committed.get(tp), ends.get(tp), owner.get(tp))
            for tp in sorted(set(committed) | set(owner))
        )
        stats = GroupStats(name, desc.state, desc.members, parts)
        prior = previous.group(name) if previous else None
        if prior is not None and elapsed > 0:
            rate = (stats.total_lag - prior.total_lag) / elapsed
            consumed = max(stats.committed_total - prior.committed_total, 0) / elapsed
            stats = GroupStats(name, desc.state, desc.members, parts, rate, consumed)
        out.append(stats)
    return tuple(out), timed_out
