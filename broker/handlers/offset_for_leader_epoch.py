"""OffsetForLeaderEpoch (key 23), v2-4: the end offset of a leader epoch, for truncation.

Consumers (KIP-320) ask after a leader change whether their position diverged; followers
will ask the same when replication arrives.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.OFFSET_FOR_LEADER_EPOCH)
async def handle(ctx, request):
    # Followers ask with ClusterAction; consumers (KIP-320) with Describe on the topic.
    replicating = ctx.authorize_cluster(AclOperation.CLUSTER_ACTION, audit=False)
    topics = []
    for t in request.topics:
        describable = replicating or ctx.authorize(
            AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic
        )
        parts = []
        for rp in t.partitions:
            code, epoch, end = ErrorCode.none, -1, -1
            try:
                if not describable:
                    raise KafkaError(ErrorCode.topic_authorization_failed)
                partition = ctx.broker.partition(t.topic, rp.partition)
                if partition is None:
                    raise KafkaError(ErrorCode.unknown_topic_or_partition)
                partition.check_leader_epoch(rp.current_leader_epoch)
                epoch, end = partition.log.end_offset_for_epoch(rp.leader_epoch)
            except KafkaError as e:
                code = e.code
            parts.append(
                ctx.make(
                    "EpochEndOffset",
                    error_code=code,
                    partition=rp.partition,
                    leader_epoch=epoch,
                    end_offset=end,
                )
            )
        topics.append(
            ctx.make("OffsetForLeaderTopicResult", topic=t.topic, partitions=tuple(parts))
        )
    return ctx.respond(throttle_time=0, topics=tuple(topics))
