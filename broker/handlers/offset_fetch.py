"""OffsetFetch (key 9), v1-9: committed offsets of given partitions, or all of a group's
(null topics, v2+); v8+ asks for several groups. Never committed -> offset -1.

require_stable (v7+, KIP-447, sent by read_committed consumers): a partition whose offset is
being committed by an undecided transaction answers UNSTABLE_OFFSET_COMMIT (clients retry)
instead of the offset committed before it.

v9 carries the member id and epoch of a consumer group (KIP-848) member: an unknown member is
UNKNOWN_MEMBER_ID, another epoch STALE_MEMBER_EPOCH (null id and epoch -1: not checked).
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

DESCRIBE = AclOperation.DESCRIBE


def _topics(ctx, group_id: str, requested, suffix: str, stable: bool) -> tuple:
    # Offsets of topics the principal may not Describe are left out of a listing of all, and
    # refused (TOPIC_AUTHORIZATION_FAILED) when asked for by name, as Kafka does.
    def describable(topic: str) -> bool:
        return ctx.authorize(DESCRIBE, ResourceType.TOPIC, topic)

    by_topic: dict[str, list] = {}
    if requested is None:
        partitions = None
    else:
        partitions = []
        for t in requested:
            if describable(t.name):
                partitions += [(t.name, i) for i in t.partition_indexes]
            else:
                by_topic[t.name] = [
                    _partition(ctx, suffix, i, None, ErrorCode.topic_authorization_failed)
                    for i in t.partition_indexes
                ]
    found = ctx.broker.groups.fetch_offsets(group_id, partitions)
    unstable = ctx.broker.groups.pending_partitions(group_id) if stable else set()
    for (topic, index), om in found.items():
        if requested is None and not describable(topic):
            continue
        if (topic, index) in unstable:
            part = _partition(ctx, suffix, index, None, ErrorCode.unstable_offset_commit)
        else:
            part = _partition(ctx, suffix, index, om, ErrorCode.none)
        by_topic.setdefault(topic, []).append(part)
    return tuple(
        ctx.make(f"OffsetFetchResponseTopic{suffix}", name=name, partitions=tuple(parts))
        for name, parts in by_topic.items()
    )


def _partition(ctx, suffix: str, index: int, om, code: ErrorCode):
    return ctx.make(
        f"OffsetFetchResponsePartition{suffix}",
        partition_index=index,
        committed_offset=-1 if om is None else om.offset,
        committed_leader_epoch=-1 if om is None else om.leader_epoch,
        metadata="" if om is None else om.metadata,
        error_code=code,
    )


@handles(ApiKey.OFFSET_FETCH)
async def handle(ctx, request):
    if ctx.version >= 8:
        groups = tuple(
            _group(
                ctx,
                g.group_id,
                g.topics,
                request.require_stable,
                getattr(g, "member_id", None),
                getattr(g, "member_epoch", -1),
            )
            for g in request.groups
        )
        return ctx.respond(throttle_time=0, groups=groups)
    if not ctx.authorize(DESCRIBE, ResourceType.GROUP, request.group_id):
        # v2+ has a top-level error; v1 can only say it per partition
        refused = ErrorCode.group_authorization_failed
        topics = ()
        if ctx.version < 2:
            topics = tuple(
                ctx.make(
                    "OffsetFetchResponseTopic",
                    name=t.name,
                    partitions=tuple(
                        _partition(ctx, "", i, None, refused) for i in t.partition_indexes
                    ),
                )
                for t in request.topics or ()
            )
        return ctx.respond(throttle_time=0, topics=topics, error_code=refused)
    stable = getattr(request, "require_stable", False)
    topics = _topics(ctx, request.group_id, request.topics, "", stable)
    return ctx.respond(throttle_time=0, topics=topics, error_code=ErrorCode.none)


def _group(ctx, group_id: str, requested, stable: bool, member_id, member_epoch: int):
    if not ctx.authorize(DESCRIBE, ResourceType.GROUP, group_id):
        return ctx.make(
            "OffsetFetchResponseGroup",
            group_id=group_id,
            topics=(),
            error_code=ErrorCode.group_authorization_failed,
        )
    try:
        # v9 names the member of a consumer group: checked as Kafka does
        ctx.broker.groups.consumer.validate_offset_fetch(group_id, member_id, member_epoch)
    except KafkaError as e:
        return ctx.make("OffsetFetchResponseGroup", group_id=group_id, topics=(), error_code=e.code)
    return ctx.make(
        "OffsetFetchResponseGroup",
        group_id=group_id,
        topics=_topics(ctx, group_id, requested, "s", stable),
        error_code=ErrorCode.none,
    )
