"""OffsetDelete (key 47), v0: delete a group's committed offsets of topics it does not consume
(GROUP_SUBSCRIBED_TO_TOPIC otherwise)."""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.OFFSET_DELETE)
async def handle(ctx, request):
    wanted = [(t.name, p.partition_index) for t in request.topics for p in t.partitions]
    try:
        code, results = ctx.broker.groups.delete_offsets(request.group_id, wanted)
    except KafkaError as e:
        code, results = e.code, {}
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
