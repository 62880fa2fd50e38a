"""DeleteGroups (key 42), v0-2: forget Empty groups and their committed offsets."""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.DELETE_GROUPS)
async def handle(ctx, request):
    results = []
    for group_id in request.groups_names:
        try:
            if not ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, group_id):
                raise KafkaError(ErrorCode.group_authorization_failed)
            code = ctx.broker.groups.delete_group(group_id)
        except KafkaError as e:
            code = e.code
        results.append(ctx.make("DeletableGroupResult", group_id=group_id, error_code=code))
    return ctx.respond(throttle_time=0, results=tuple(results))
