"""Small conversions shared by the group handlers."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from broker.errors import ErrorCode
from broker.group.offsets import NO_LEADER_EPOCH, OffsetAndMetadata
from broker.security.acl import AclOperation, ResourceType

TopicPartition = tuple[str, int]


def ms(value: timedelta | int | None, default: int = -1) -> int:
    """kio gives durations as timedelta; the coordinator counts integer milliseconds."""
    if value is None:
        return default
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return int(value)


def offsets_to_commit(
    ctx, request, refusal: ErrorCode | None
) -> tuple[dict[TopicPartition, OffsetAndMetadata], dict[TopicPartition, ErrorCode]]:
    """An OffsetCommit's or TxnOffsetCommit's offsets to store, and the codes of the
    partitions refused: ``refusal`` for all (the group or transactional id was denied),
    else TOPIC_AUTHORIZATION_FAILED without Read on the topic (Kafka's order) and
    UNKNOWN_TOPIC_OR_PARTITION for one that does not exist."""
    now = int(time.time() * 1000)
    wanted: dict[TopicPartition, OffsetAndMetadata] = {}
    codes: dict[TopicPartition, ErrorCode] = {}
    for t in request.topics:
        readable = refusal is None and ctx.authorize(
            AclOperation.READ, ResourceType.TOPIC, t.name
        )
        for p in t.partitions:
            tp = (t.name, p.partition_index)
            if refusal is not None:
                codes[tp] = refusal
            elif not readable:
                codes[tp] = ErrorCode.topic_authorization_failed
            elif ctx.broker.partition(*tp) is None:
                codes[tp] = ErrorCode.unknown_topic_or_partition
            else:
                wanted[tp] = OffsetAndMetadata(
                    offset=p.committed_offset,
                    leader_epoch=getattr(p, "committed_leader_epoch", NO_LEADER_EPOCH),
                    metadata=p.committed_metadata or "",
                    commit_timestamp_ms=now,
                )
    return wanted, codes


def commit_response_topics(
    ctx, request, codes: dict[TopicPartition, ErrorCode], prefix: str
) -> tuple[Any, ...]:
    """The response's topics of an offset commit (``prefix`` names its classes:
    OffsetCommit or TxnOffsetCommit), one code per requested partition."""
    return tuple(
        ctx.make(
            f"{prefix}ResponseTopic",
            name=t.name,
            partitions=tuple(
                ctx.make(
                    f"{prefix}ResponsePartition",
                    partition_index=p.partition_index,
                    error_code=codes[(t.name, p.partition_index)],
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
