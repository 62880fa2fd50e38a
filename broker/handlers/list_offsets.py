"""ListOffsets (key 2), v1-10: offsets by time, and the earliest/latest/max-timestamp marks.

Special timestamps: -2 earliest (log start), -1 latest (high watermark; the last stable
offset for read_committed, isolation_level 1), -3 the record with the
largest timestamp (v7+), -4 earliest local (v8+; no tiered storage, so the log start), -5
latest tiered (v9+): offset -1, as Kafka answers when remote storage is off (KIP-1005),
since nothing is tiered. A timestamp with no record at or after it answers offset -1.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

LATEST, EARLIEST, MAX_TIMESTAMP, EARLIEST_LOCAL, LATEST_TIERED = -1, -2, -3, -4, -5
READ_COMMITTED = 1


@handles(ApiKey.LIST_OFFSETS)
async def handle(ctx, request):
    topics = []
    committed = getattr(request, "isolation_level", 0) == READ_COMMITTED
    for t in request.topics:
        describable = ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)
        parts = []
        for rp in t.partitions:
            code, ts, offset, epoch = ErrorCode.none, -1, -1, -1
            try:
                if not describable:
                    raise KafkaError(ErrorCode.topic_authorization_failed)
                partition = ctx.broker.partition(t.name, rp.partition_index)
                if partition is None:
                    raise KafkaError(ErrorCode.unknown_topic_or_partition)
                partition.check_leader_epoch(getattr(rp, "current_leader_epoch", -1))
                ts, offset = _lookup(partition, rp.timestamp, committed)
                epoch = partition.leader_epoch if offset >= 0 else -1
            except KafkaError as e:
                code = e.code
            parts.append(
                ctx.make(
                    "ListOffsetsPartitionResponse",
                    partition_index=rp.partition_index,
                    error_code=code,
                    timestamp=ts,
                    offset=offset,
                    leader_epoch=epoch,
                )
            )
        topics.append(ctx.make("ListOffsetsTopicResponse", name=t.name, partitions=tuple(parts)))
    return ctx.respond(throttle_time=0, topics=tuple(topics))


def _lookup(partition, timestamp: int, committed: bool) -> tuple[int, int]:
    """(timestamp, offset) answering a ListOffsets query on one partition."""
    if timestamp == LATEST:
        return -1, partition.last_stable_offset if committed else partition.high_watermark
    if timestamp == LATEST_TIERED:
        return -1, -1
    if timestamp in (EARLIEST, EARLIEST_LOCAL):
        return -1, partition.log_start_offset
    if timestamp == MAX_TIMESTAMP:
        found = partition.log.max_timestamp()
        return (found[1], found[0]) if found else (-1, -1)
    if timestamp < 0:
        raise KafkaError(ErrorCode.invalid_request, f"unknown special timestamp {timestamp}")
    found = partition.log.offset_for_timestamp(timestamp)
    bound = partition.last_stable_offset if committed else partition.high_watermark
    if found is None or found[0] >= bound:
        return -1, -1
    return found[1], found[0]
