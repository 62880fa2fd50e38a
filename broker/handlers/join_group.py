"""JoinGroup (key 11), v0-9: a long poll answered when the group's rebalance completes."""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.group.coordinator import JoinRequest
from broker.handlers._group_util import ms
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.JOIN_GROUP)
async def handle(ctx, request):
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return ctx.respond(
            throttle_time=0,
            error_code=ErrorCode.group_authorization_failed,
            generation_id=-1,
            protocol_type=None,
            protocol_name=None if ctx.version >= 7 else "",
            leader="",
            skip_assignment=False,
            member_id="",
            members=(),
        )
    session = ms(request.session_timeout)
    result = await ctx.broker.groups.join(
        JoinRequest(
            group_id=request.group_id,
            member_id=request.member_id,
            group_instance_id=getattr(request, "group_instance_id", None),
            client_id=ctx.header.client_id or "",
            client_host="/" + ctx.client_host,
            session_timeout_ms=session,
            # v0 has no rebalance timeout: Kafka uses the session timeout
            rebalance_timeout_ms=ms(getattr(request, "rebalance_timeout", None), session),
            protocol_type=request.protocol_type,
            protocols=[(p.name, p.metadata) for p in request.protocols],
            require_known_member_id=ctx.version >= 4,
            supports_skip_assignment=ctx.version >= 9,
        )
    )
    members = tuple(
        ctx.make("JoinGroupResponseMember", member_id=mid, group_instance_id=iid, metadata=metadata)
        for mid, iid, metadata in result.members
    )
    protocol_name = result.protocol_name
    if protocol_name is None and ctx.version < 7:
        protocol_name = ""  # nullable from v7 only
    return ctx.respond(
        throttle_time=0,
        error_code=result.error,
        generation_id=result.generation_id,
        protocol_type=result.protocol_type,
        protocol_name=protocol_name,
        leader=result.leader_id,
        skip_assignment=result.skip_assignment,
        member_id=result.member_id,
        members=members,
    )
