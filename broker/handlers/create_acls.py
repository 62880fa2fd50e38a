"""CreateAcls (key 30), v1-3: add ACL bindings to the metadata log.

Needs Alter on the cluster; without an authorizer every creation answers SECURITY_DISABLED, as
Kafka does. Each creation gets its own result: INVALID_REQUEST for what Kafka refuses to store
(ANY/MATCH/UNKNOWN codes, an empty name, a cluster not named kafka-cluster, a principal
without ``Type:``). A binding that exists already succeeds and is not stored twice.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._acl_util import alter_refusal
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import (
    AclBinding,
    AclOperation,
    PatternType,
    PermissionType,
    ResourceType,
)


@handles(ApiKey.CREATE_ACLS)
async def handle(ctx, request):
    refusal = alter_refusal(ctx)
    if refusal is not None:
        results = [refusal] * len(request.creations)
    else:
        bindings = [
            AclBinding(
                ResourceType.of(c.resource_type),
                c.resource_name,
                PatternType.of(c.resource_pattern_type),
                c.principal,
                c.host,
                AclOperation.of(c.operation),
                PermissionType.of(c.permission_type),
            )
            for c in request.creations
        ]
        try:
            results = ctx.broker.controller.create_acls(bindings)
        except KafkaError as e:
            results = [e] * len(request.creations)
    return ctx.respond(
        throttle_time=0,
        results=tuple(
            ctx.make(
                "AclCreationResult",
                error_code=ErrorCode.none if e is None else e.code,
                error_message=None if e is None else e.message,
            )
            for e in results
        ),
    )
