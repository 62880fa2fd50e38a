"""OffsetDelete (key 47), v0: delete a group's committed offsets of topics it does not consume
(GROUP_SUBSCRIBED_TO_TOPIC otherwise)."""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.OFFSET_DELETE)
async def handle(ctx, request):
    if not ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, request.group_id):
        return ctx.respond(
            error_code=ErrorCode.group_authorization_failed, throttle_time=0, topics=()
        )
    # partitions of topics without Read: TOPIC_AUTHORIZATION_FAILED, and left alone
    refused = {
        t.name
        for t in request.topics
        if not ctx.authorize(AclOperation.READ, ResourceType.TOPIC, t.name)
    }
    wanted = [
        (t.name, p.partition_index)
        for t in request.topics
        if t.name not in refused
        for p in t.partitions
    ]
    try:
        code, results = ctx.broker.groups.delete_offsets(request.group_id, wanted)
    except KafkaError as e:
        code, results = e.code, {}
    for t in request.topics:
        if t.name in refused:
            results.update(
                {
                    (t.name, p.partition_index): ErrorCode.topic_authorization_failed
                    for p in t.partitions
                }
            )
    if code is not ErrorCode.none:
        return ctx.respond(error_code=code, throttle_time=0, topics=())
    topics = tuple(
        ctx.make(
            "OffsetDeleteResponseTopic",
            name=t.name,
            partitions=tuple(
                ctx.make(
                    "OffsetDeleteResponsePartition",
                    partition_index=p.partition_index,
                    error_code=results.get((t.name, p.partition_index), ErrorCode.none),
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return ctx.respond(error_code=ErrorCode.none, throttle_time=0, topics=topics)
