"""ConsumerGroupHeartbeat (key 68), v0-1: the KIP-848 consumer group protocol.

One request joins (member epoch 0), heartbeats (the current epoch, with what changed since
the last one), or leaves (-1; -2 for a static member's temporary leave). v1 adds the topic
regex, and the client generates its member id (v0: the coordinator does, at epoch 0).
Read on the group and Describe on every named subscribed topic are required, as in Kafka;
a regex subscription gets only the topics the member may describe.
"""

from __future__ import annotations

from functools import partial

from broker.errors import ErrorCode
from broker.group.consumer.coordinator import HeartbeatRequest
from broker.handlers._group_util import ms
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.CONSUMER_GROUP_HEARTBEAT)
async def handle(ctx, request):
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return _error(ctx, ErrorCode.group_authorization_failed)
    names = request.subscribed_topic_names
    if names and not all(
        ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, n) for n in set(names)
    ):
        return _error(ctx, ErrorCode.topic_authorization_failed)
    owned = None
    if request.topic_partitions is not None:
        owned = {}
        for tp in request.topic_partitions:
            owned[tp.topic_id] = owned.get(tp.topic_id, frozenset()) | frozenset(tp.partitions)
    result = ctx.broker.groups.consumer.heartbeat(
        HeartbeatRequest(
            group_id=request.group_id,
            member_id=request.member_id,
            member_epoch=request.member_epoch,
            instance_id=request.instance_id,
            rack_id=request.rack_id,
            rebalance_timeout_ms=ms(request.rebalance_timeout),
            topic_names=tuple(names) if names is not None else None,
            topic_regex=getattr(request, "subscribed_topic_regex", None),
            server_assignor=request.server_assignor,
            owned=owned,
            client_id=ctx.header.client_id or "",
            client_host="/" + ctx.client_host,
            version=ctx.version,
            may_describe=None if ctx.broker.authorizer is None else partial(_may_describe, ctx),
        ),
        ctx.broker.metadata.image.topics_by_name,
    )
    assignment = None
    if result.assignment is not None:
        assignment = ctx.make(
            "Assignment",
            topic_partitions=tuple(
                ctx.make("TopicPartitions", topic_id=t, partitions=tuple(sorted(ps)))
                for t, ps in sorted(result.assignment.items(), key=lambda kv: str(kv[0]))
            ),
        )
    return ctx.respond(
        throttle_time=0,
        error_code=result.error,
        error_message=result.message,
        member_id=result.member_id,
        member_epoch=result.member_epoch,
        heartbeat_interval=result.heartbeat_interval_ms,
        assignment=assignment,
    )


def _may_describe(ctx, topic: str) -> bool:
    # not audited: a regex match the member may not see is left out, not refused
    return ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, topic, audit=False)


def _error(ctx, code: ErrorCode):
    return ctx.respond(
        throttle_time=0,
        error_code=code,
        error_message=None,
        member_id=None,
        member_epoch=0,
        heartbeat_interval=0,
        assignment=None,
    )
