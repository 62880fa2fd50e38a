"""ListGroups (key 16), v0-5: the groups of this coordinator; v4 filters by state, v5 by type
("classic", or "consumer" for KIP-848 groups, whose protocol type is "consumer" too).

States are matched case-insensitively against each type's own names (a consumer group is
Empty, Assigning, Reconciling or Stable), as Kafka does.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.group.state import parse_state
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

CLASSIC, CONSUMER = "classic", "consumer"


@handles(ApiKey.LIST_GROUPS)
async def handle(ctx, request):
    types = {t.lower() for t in getattr(request, "types_filter", ())}
    names = getattr(request, "states_filter", ())
    wanted_states = {n.lower() for n in names}
    listed: list[tuple[str, str, str, str]] = []  # id, protocol type, state, group type
    if not types or CLASSIC in types:
        states = {parse_state(n) for n in names}
        if not names or states != {None}:
            classic = ctx.broker.groups.list_groups({s for s in states if s is not None} or None)
            listed += [(gid, ptype, state.value, CLASSIC) for gid, ptype, state in classic]
    if not types or CONSUMER in types:
        listed += [
            (gid, CONSUMER, state.value, CONSUMER)
            for gid, state in ctx.broker.groups.consumer.list_groups()
            if not wanted_states or state.value.lower() in wanted_states
        ]
    listed.sort()
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
            group_state=state,
            group_type=gtype,
        )
        for gid, ptype, state, gtype in listed
    )
    return ctx.respond(throttle_time=0, error_code=ErrorCode.none, groups=groups)
