"""ListGroups (key 16), v0-5: the groups of this coordinator; v4 filters by state, v5 by type
(every group here is "classic")."""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.group.state import parse_state
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

GROUP_TYPE = "classic"


@handles(ApiKey.LIST_GROUPS)
async def handle(ctx, request):
    types = {t.lower() for t in getattr(request, "types_filter", ())}
    if types and GROUP_TYPE not in types:
        return ctx.respond(throttle_time=0, error_code=ErrorCode.none, groups=())
    names = getattr(request, "states_filter", ())
    states = {parse_state(n) for n in names}
    if names and states == {None}:
        return ctx.respond(throttle_time=0, error_code=ErrorCode.none, groups=())
    listed = ctx.broker.groups.list_groups({s for s in states if s is not None} or None)
    if not ctx.authorize_cluster(AclOperation.DESCRIBE, audit=False):
        # without Describe on the cluster, only the groups the principal may Describe
        listed = [
            g
            for g in listed
            if ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, g[0], audit=False)
        ]
    groups = tuple(
        ctx.make(
            "ListedGroup",
            group_id=gid,
            protocol_type=ptype,
            group_state=state.value,
            group_type=GROUP_TYPE,
        )
        for gid, ptype, state in listed
    )
    return ctx.respond(throttle_time=0, error_code=ErrorCode.none, groups=groups)
