"""OffsetCommit (key 8), v2-9: store a group's committed offsets (with metadata, leader epoch).

Generation -1 with no member id is a simple (assign-only) consumer's commit, as in Kafka.
For a consumer group (KIP-848) the generation is the member epoch (STALE_MEMBER_EPOCH if it
is not the member's), and its members must use v9+ (UNSUPPORTED_VERSION otherwise).
Partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION and are not stored.
"""

from __future__ import annotations

import time

from broker.errors import ErrorCode
from broker.group.offsets import NO_LEADER_EPOCH, OffsetAndMetadata
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

READ = AclOperation.READ


@handles(ApiKey.OFFSET_COMMIT)
async def handle(ctx, request):
    now = int(time.time() * 1000)
    wanted: dict[tuple[str, int], OffsetAndMetadata] = {}
    codes: dict[tuple[str, int], ErrorCode] = {}
    # Read on the group, then Read on each topic (Kafka's order)
    group_ok = ctx.authorize(READ, ResourceType.GROUP, request.group_id)
    for t in request.topics:
        readable = group_ok and ctx.authorize(READ, ResourceType.TOPIC, t.name)
        for p in t.partitions:
            tp = (t.name, p.partition_index)
            if not readable:
                codes[tp] = (
                    ErrorCode.topic_authorization_failed
                    if group_ok
                    else ErrorCode.group_authorization_failed
                )
                continue
            if ctx.broker.partition(t.name, p.partition_index) is None:
                codes[tp] = ErrorCode.unknown_topic_or_partition
                continue
            wanted[tp] = OffsetAndMetadata(
                offset=p.committed_offset,
                leader_epoch=getattr(p, "committed_leader_epoch", NO_LEADER_EPOCH),
                metadata=p.committed_metadata or "",
                commit_timestamp_ms=now,
            )
    if wanted:
        codes.update(
            ctx.broker.groups.commit_offsets(
                request.group_id,
                request.generation_id_or_member_epoch,
                request.member_id,
                getattr(request, "group_instance_id", None),
                wanted,
                api_version=ctx.version,
            )
        )
    topics = tuple(
        ctx.make(
            "OffsetCommitResponseTopic",
            name=t.name,
            partitions=tuple(
                ctx.make(
                    "OffsetCommitResponsePartition",
                    partition_index=p.partition_index,
                    error_code=codes[(t.name, p.partition_index)],
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return ctx.respond(throttle_time=0, topics=topics)
