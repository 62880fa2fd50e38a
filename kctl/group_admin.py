"""Consumer-group facts over the wire (confluent-kafka AdminClient), shaped for kctl.

Everything here is a read except ``commit_offsets``; the offset-reset decisions themselves
live in ``kctl.reset_plan``, which does no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

TopicPartitionKey = tuple[str, int]

# Groups in these states have no members, so their offsets may be changed.
INACTIVE_STATES = {"EMPTY", "DEAD", "UNKNOWN"}


@dataclass(frozen=True)
class Member:
    member_id: str
    client_id: str
    host: str
    assignment: tuple[TopicPartitionKey, ...]


@dataclass(frozen=True)
class GroupInfo:
    group: str
    state: str
    type: str
    protocol: str
    coordinator: str | None
    members: tuple[Member, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return bool(self.members) or self.state not in INACTIVE_STATES


def _name(enum_value: Any) -> str:
    return getattr(enum_value, "name", str(enum_value))


def list_groups(admin: AdminClient, timeout: float) -> list[dict[str, Any]]:
    result = admin.list_consumer_groups(request_timeout=timeout).result(timeout)
    rows = [
        {
            "group": g.group_id,
            "state": _name(g.state),
            "type": _name(getattr(g, "type", "")),
            "simple": g.is_simple_consumer_group,
        }
        for g in result.valid
    ]
    return sorted(rows, key=lambda r: r["group"])


def describe_group(admin: AdminClient, group: str, timeout: float) -> GroupInfo:
    d = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    return _group_info(d)


def _group_info(d: Any) -> GroupInfo:
    members = tuple(
        Member(
            m.member_id,
            m.client_id,
            m.host,
            tuple(
                sorted(
                    (tp.topic, tp.partition)
                    for tp in (m.assignment.topic_partitions if m.assignment else [])
                )
            ),
        )
        for m in d.members
    )
    coord = d.coordinator
    return GroupInfo(
        group=d.group_id,
        state=_name(d.state),
        type=_name(getattr(d, "type", "")),
        protocol=d.partition_assignor or "",
        coordinator=f"{coord.id} ({coord.host}:{coord.port})" if coord else None,
        members=members,
    )


def committed_offsets(
    admin: AdminClient, group: str, timeout: float
) -> dict[TopicPartitionKey, int]:
    """The group's committed offsets (partitions without a commit are left out)."""
    req = [ConsumerGroupTopicPartitions(group)]
    res = admin.list_consumer_group_offsets(req, request_timeout=timeout)[group].result(timeout)
    return _committed(res)


def _committed(res: ConsumerGroupTopicPartitions) -> dict[TopicPartitionKey, int]:
    out = {}
    for tp in res.topic_partitions:
        if tp.error is not None:
            raise KafkaException(tp.error)
        if tp.offset >= 0:
            out[(tp.topic, tp.partition)] = tp.offset
    return out


GroupAnswer = tuple[GroupInfo, dict[TopicPartitionKey, int]]


def describe_groups_with_offsets(
    admin: AdminClient, groups: Iterable[str], timeout: float
) -> dict[str, GroupAnswer | Exception]:
    """Each group's description and committed offsets, or why there are none.

    Every request is sent before any answer is awaited, and all of them share one deadline:
    asking one group after another took up to twice the timeout per group that did not answer.
    A group maps to its exception (KafkaException, or TimeoutError when no answer came).
    """
    groups = list(groups)
    if not groups:
        return {}
    deadline = time.monotonic() + timeout
    described = admin.describe_consumer_groups(groups, request_timeout=timeout)
    offsets = {
        g: admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(g)], request_timeout=timeout
        )[g]
        for g in groups
    }
    out: dict[str, GroupAnswer | Exception] = {}
    for g in groups:
        try:
            info = _group_info(described[g].result(max(deadline - time.monotonic(), 0)))
            committed = _committed(offsets[g].result(max(deadline - time.monotonic(), 0)))
        except (KafkaException, TimeoutError) as e:
            out[g] = e
            continue
        out[g] = (info, committed)
    return out


def timed_out(exc: BaseException) -> bool:
    """The request got no answer in time (the client's timeout or librdkafka's)."""
    if isinstance(exc, TimeoutError):
        return True
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    return isinstance(err, KafkaError) and err.code() == KafkaError._TIMED_OUT


def topic_partitions(admin: AdminClient, timeout: float) -> dict[str, list[int]]:
    md = admin.list_topics(timeout=timeout)
    return {name: sorted(t.partitions) for name, t in md.topics.items() if t.error is None}


def list_offsets(
    admin: AdminClient, tps: Iterable[TopicPartitionKey], spec: OffsetSpec, timeout: float
) -> dict[TopicPartitionKey, int]:
    """One ListOffsets answer per partition (earliest, latest or for a timestamp)."""
    req = {TopicPartition(t, p): spec for t, p in tps}
    if not req:
        return {}
    futures = admin.list_offsets(req, request_timeout=timeout)
    return {(tp.topic, tp.partition): f.result(timeout).offset for tp, f in futures.items()}


def log_bounds(
    admin: AdminClient, tps: Iterable[TopicPartitionKey], timeout: float
) -> dict[TopicPartitionKey, tuple[int, int]]:
    tps = list(tps)
    low = list_offsets(admin, tps, OffsetSpec.earliest(), timeout)
    high = list_offsets(admin, tps, OffsetSpec.latest(), timeout)
    return {tp: (low[tp], high[tp]) for tp in tps}


def offsets_for_time(
    admin: AdminClient, tps: Iterable[TopicPartitionKey], ts_ms: int, timeout: float
) -> dict[TopicPartitionKey, int]:
    """The first offset with timestamp >= ts_ms per partition (-1 when there is none)."""
    return list_offsets(admin, tps, OffsetSpec.for_timestamp(ts_ms), timeout)


def commit_offsets(
    admin: AdminClient, group: str, offsets: dict[TopicPartitionKey, int], timeout: float
) -> None:
    """Commit offsets for an inactive group (AlterConsumerGroupOffsets)."""
    tps = [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
    res = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, tps)], request_timeout=timeout
    )[group].result(timeout)
    for tp in res.topic_partitions:
        if tp.error is not None:
            raise KafkaException(tp.error)


def delete_groups(
    admin: AdminClient, groups: list[str], timeout: float
) -> dict[str, KafkaError | None]:
    """Delete groups; maps each group to None (deleted) or the broker's error."""
    out: dict[str, KafkaError | None] = {}
    for group, fut in admin.delete_consumer_groups(groups, request_timeout=timeout).items():
        try:
            fut.result(timeout)
            out[group] = None
        except KafkaException as e:
            out[group] = (
                e.args[0]
                if e.args and isinstance(e.args[0], KafkaError)
                else KafkaError(KafkaError._FAIL, str(e))
            )
    return out
