"""DescribeAcls (key 29), v1-3: the ACL bindings a filter matches, grouped by resource pattern.

Needs Describe on the cluster; without an authorizer: SECURITY_DISABLED, as Kafka does. The
filter has Kafka's semantics (ANY and null match everything; pattern type MATCH selects every
binding that applies to the named resource: literal, wildcard and prefixes).
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._acl_util import acl_filter
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import (
    AclOperation,
)


@handles(ApiKey.DESCRIBE_ACLS)
async def handle(ctx, request):
    authorizer = ctx.broker.authorizer
    try:
        if not ctx.authorize_cluster(AclOperation.DESCRIBE):
            raise KafkaError(
                ErrorCode.cluster_authorization_failed, "Describe on the cluster denied"
            )
        if authorizer is None:
            raise KafkaError(
                ErrorCode.security_disabled, "No Authorizer is configured on the broker"
            )
        wanted = acl_filter(request)
        wanted.validate()
    except KafkaError as e:
        return ctx.respond(
            throttle_time=0, error_code=e.code, error_message=e.message, resources=()
        )
    by_pattern: dict[tuple, list] = {}
    for _, b in authorizer.acls(wanted):
        by_pattern.setdefault((b.resource_type, b.resource_name, b.pattern_type), []).append(
            ctx.make(
                "AclDescription",
                principal=b.principal,
                host=b.host,
                operation=b.operation,
                permission_type=b.permission,
            )
        )
    resources = tuple(
        ctx.make(
            "DescribeAclsResource",
            resource_type=rt,
            resource_name=name,
            pattern_type=pattern,
            acls=tuple(acls),
        )
        for (rt, name, pattern), acls in sorted(by_pattern.items())
    )
    return ctx.respond(
        throttle_time=0, error_code=ErrorCode.none, error_message=None, resources=resources
    )
