"""LeaveGroup (key 13), v0-5: one member (v0-2) or a batch of them (v3+, KIP-345)."""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.LEAVE_GROUP)
async def handle(ctx, request):
    if not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        return ctx.respond(
            throttle_time=0, error_code=ErrorCode.group_authorization_failed, members=()
        )
    groups = ctx.broker.groups
    if ctx.version < 3:
        code, errors = groups.leave(request.group_id, [(request.member_id, None)])
        if code is ErrorCode.none and errors:
            code = errors[0]
        return ctx.respond(throttle_time=0, error_code=code)
    leaving = [(m.member_id, m.group_instance_id) for m in request.members]
    code, errors = groups.leave(request.group_id, leaving)
    members = tuple(
        ctx.make("MemberResponse", member_id=mid, group_instance_id=iid, error_code=err)
        for (mid, iid), err in zip(leaving, errors, strict=False)
    )
    return ctx.respond(throttle_time=0, error_code=code, members=members)
