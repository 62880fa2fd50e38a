"""ConsumerGroupDescribe (key 69), v0: members, epochs and assignments of consumer groups.

A group that is not a consumer group (a classic one, or none) answers GROUP_ID_NOT_FOUND, as
in Kafka; clients such as librdkafka then describe it with DescribeGroups.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

UNKNOWN_OPERATIONS = -(2**31)


@handles(ApiKey.CONSUMER_GROUP_DESCRIBE)
async def handle(ctx, request):
    coordinator = ctx.broker.groups.consumer
    described = []
    for group_id in request.group_ids:
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
            described.append(_failed(ctx, group_id, ErrorCode.group_authorization_failed, None))
            continue
        if not group_id:
            described.append(_failed(ctx, group_id, ErrorCode.invalid_group_id, None))
            continue
        group = coordinator.groups.get(group_id)
        if group is None:
            message = (
                f"Group {group_id} is not a consumer group."
                if group_id in ctx.broker.groups.groups
                else f"Group {group_id} not found."
            )
            described.append(_failed(ctx, group_id, ErrorCode.group_id_not_found, message))
            continue
        operations = (
            ctx.authorized_operations(ResourceType.GROUP, group_id)
            if request.include_authorized_operations
            else UNKNOWN_OPERATIONS
        )
        members = tuple(
            ctx.make(
                "Member",
                member_id=m.member_id,
                instance_id=m.instance_id,
                rack_id=m.subscription.rack_id,
                member_epoch=m.member_epoch,
                client_id=m.subscription.client_id,
                client_host=m.subscription.client_host,
                subscribed_topic_names=m.subscription.topic_names,
                subscribed_topic_regex=m.subscription.topic_regex,
                assignment=_assignment(ctx, m.assignment.assigned),
                target_assignment=_assignment(ctx, group.target.get(m.member_id, {})),
            )
            for m in group.members.values()
        )
        described.append(
            ctx.make(
                "DescribedGroup",
                error_code=ErrorCode.none,
                error_message=None,
                group_id=group_id,
                group_state=group.state.value,
                group_epoch=group.group_epoch,
                assignment_epoch=group.assignment_epoch,
                assignor_name=_assignor(coordinator, group),
                members=members,
                authorized_operations=operations,
            )
        )
    return ctx.respond(throttle_time=0, groups=tuple(described))


def _assignor(coordinator, group) -> str:
    names = [m.subscription.server_assignor for m in group.members.values()]
    chosen = [n for n in names if n]
    return max(set(chosen), key=chosen.count) if chosen else coordinator.default_assignor


def _assignment(ctx, partitions):
    topics = []
    for topic_id, ps in sorted(partitions.items(), key=lambda kv: str(kv[0])):
        topic = ctx.broker.topic_by_id(topic_id)
        topics.append(
            ctx.make(
                "TopicPartitions",
                topic_id=topic_id,
                topic_name=topic.name if topic is not None else "",
                partitions=tuple(sorted(ps)),
            )
        )
    return ctx.make("Assignment", topic_partitions=tuple(topics))


def _failed(ctx, group_id: str, code: ErrorCode, message: str | None):
    return ctx.make(
        "DescribedGroup",
        error_code=code,
        error_message=message,
        group_id=group_id,
        group_state="",
        group_epoch=-1,
        assignment_epoch=-1,
        assignor_name="",
        members=(),
        authorized_operations=UNKNOWN_OPERATIONS,
    )
