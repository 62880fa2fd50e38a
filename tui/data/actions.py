"""What the dashboard changes on the cluster: topics, records, group offsets.

Each function blocks (run it in a worker) and raises :class:`kctl.console.KctlError` (or
``kctl.reset_plan.PlanError`` for a reset that cannot be planned) with a one-line reason.
Offset resets use the CLI's plan-first engine: :func:`plan_group_reset` decides, nothing is
committed until :func:`apply_group_reset` is called with that plan.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import NewTopic

from kctl import group_admin as ga
from kctl.client import Cluster, kafka_error
from kctl.commands.groups import plan_reset
from kctl.console import ExitCode, KctlError
from kctl.reset_plan import (
    EARLIEST,
    LATEST,
    OFFSET,
    SHIFT,
    PlanError,
    PlanRow,
    ResetMode,
    parse_topic_scope,
)


def create_topic(cluster: Cluster, name: str, partitions: int, replication: int = 1) -> None:
    fut = cluster.admin().create_topics(
        [NewTopic(name, partitions, replication)], request_timeout=cluster.timeout
    )[name]
    try:
        fut.result(cluster.timeout)
    except KafkaException as e:
        raise kafka_error(e, f"create topic {name!r}") from e


def delete_topic(cluster: Cluster, name: str) -> None:
    fut = cluster.admin().delete_topics([name], request_timeout=cluster.timeout)[name]
    try:
        fut.result(cluster.timeout)
    except KafkaException as e:
        raise kafka_error(e, f"delete topic {name!r}") from e


def produce_record(
    cluster: Cluster, topic: str, key: str | None, value: str, partition: int | None = None
) -> tuple[int, int]:
    """Produce one record and wait for it; returns (partition, offset)."""
    producer = cluster.producer()
    result: list = []
    kwargs = {} if partition is None else {"partition": partition}
    producer.produce(
        topic,
        value=value.encode(),
        key=key.encode() if key else None,
        on_delivery=lambda err, msg: result.append((err, msg)),
        **kwargs,
    )
    producer.flush(cluster.timeout)
    if not result:
        raise KctlError(f"produce to {topic!r}: no acknowledgement within {cluster.timeout:g}s",
                        ExitCode.UNREACHABLE)
    err, msg = result[0]
    if err is not None:
        raise kafka_error(KafkaException(err), f"produce to {topic!r}")
    return msg.partition(), msg.offset()


def parse_reset_mode(text: str) -> ResetMode:
    """``earliest``, ``latest``, ``offset N`` or ``shift N`` (what the reset dialog offers)."""
    words = text.split()
    if words == [EARLIEST] or words == [LATEST]:
        return ResetMode(words[0])
    if len(words) == 2 and words[0] in (OFFSET, SHIFT) and words[1].lstrip("-").isdigit():
        return ResetMode(words[0], int(words[1]))
    raise PlanError(f"unknown reset {text!r}: use earliest, latest, offset N or shift N")


def plan_group_reset(cluster: Cluster, group: str, mode_text: str, topic: str) -> list[PlanRow]:
    """The plan for resetting ``group`` on ``topic`` (``T``, ``T:0,1``) or every topic (empty)."""
    mode = parse_reset_mode(mode_text)
    scopes = [parse_topic_scope(topic)] if topic.strip() else []
    return plan_reset(cluster, group, mode, scopes, not scopes, int(time.time() * 1000))


def apply_group_reset(cluster: Cluster, group: str, plan: list[PlanRow]) -> None:
    """Commit the plan's new offsets; Kafka refuses while the group has members."""
    desc = _admin_call(f"describe group {group!r}", ga.describe_group, cluster, group)
    if desc.active:
        raise KctlError(
            f"group {group!r} is active (state {desc.state}, {len(desc.members)} member(s)): "
            "stop its consumers first", ExitCode.ERROR)
    offsets = {(r.topic, r.partition): r.new for r in plan}
    _admin_call(f"reset group {group!r}", ga.commit_offsets, cluster, group, offsets)


def _admin_call(what: str, fn, cluster: Cluster, *args):
    try:
        return fn(cluster.admin(), *args, cluster.timeout)
    except KafkaException as e:
        raise kafka_error(e, what) from e
