"""DescribeGroups (key 15), v0-5: state, protocol and members of groups.

As in Kafka, member metadata and assignments are shown only once the group is Stable, and an
unknown group is described as "Dead" without an error.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.group.state import GroupState
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

UNKNOWN_OPERATIONS = -(2**31)


@handles(ApiKey.DESCRIBE_GROUPS)
async def handle(ctx, request):
    described = []
    with_ops = getattr(request, "include_authorized_operations", False)
    for group_id in request.groups:
        if not ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
            described.append(
                ctx.make(
                    "DescribedGroup",
                    error_code=ErrorCode.group_authorization_failed,
                    group_id=group_id,
                    group_state="",
                    protocol_type="",
                    protocol_data="",
                    members=(),
                    authorized_operations=UNKNOWN_OPERATIONS,
                )
            )
            continue
        operations = (
            ctx.authorized_operations(ResourceType.GROUP, group_id)
            if with_ops
            else UNKNOWN_OPERATIONS
        )
        group = ctx.broker.groups.describe(group_id)
        if group is None:
            described.append(
                ctx.make(
                    "DescribedGroup",
                    error_code=ErrorCode.none,
                    group_id=group_id,
                    group_state=GroupState.DEAD.value,
                    protocol_type="",
                    protocol_data="",
                    members=(),
                    authorized_operations=operations,
                )
            )
            continue
        stable = group.is_(GroupState.STABLE)
        members = tuple(
            ctx.make(
                "DescribedGroupMember",
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                member_metadata=m.metadata(group.protocol_name) if stable else b"",
                member_assignment=m.assignment if stable else b"",
            )
            for m in group.members.values()
        )
        described.append(
            ctx.make(
                "DescribedGroup",
                error_code=ErrorCode.none,
                group_id=group_id,
                group_state=group.state.value,
                protocol_type=group.protocol_type or "",
                protocol_data=(group.protocol_name or "") if stable else "",
                members=members,
                authorized_operations=operations,
            )
        )
    return ctx.respond(throttle_time=0, groups=tuple(described))
