"""OffsetFetch (key 9), v1-9: committed offsets of given partitions, or all of a group's
(null topics, v2+); v8+ asks for several groups. Never committed -> offset -1.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


def _topics(ctx, group_id: str, requested, suffix: str) -> tuple:
    if requested is None:
        partitions = None
    else:
        partitions = [(t.name, i) for t in requested for i in t.partition_indexes]
    found = ctx.broker.groups.fetch_offsets(group_id, partitions)
    by_topic: dict[str, list] = {}
    for (topic, index), om in found.items():
        by_topic.setdefault(topic, []).append(
            ctx.make(
                f"OffsetFetchResponsePartition{suffix}",
                partition_index=index,
                committed_offset=-1 if om is None else om.offset,
                committed_leader_epoch=-1 if om is None else om.leader_epoch,
                metadata="" if om is None else om.metadata,
                error_code=ErrorCode.none,
            )
        )
    return tuple(
        ctx.make(f"OffsetFetchResponseTopic{suffix}", name=name, partitions=tuple(parts))
        for name, parts in by_topic.items()
    )


@handles(ApiKey.OFFSET_FETCH)
async def handle(ctx, request):
    if ctx.version >= 8:
        groups = tuple(
            ctx.make(
                "OffsetFetchResponseGroup",
                group_id=g.group_id,
                topics=_topics(ctx, g.group_id, g.topics, "s"),
                error_code=ErrorCode.none,
            )
            for g in request.groups
        )
        return ctx.respond(throttle_time=0, groups=groups)
    topics = _topics(ctx, request.group_id, request.topics, "")
    return ctx.respond(throttle_time=0, topics=topics, error_code=ErrorCode.none)
