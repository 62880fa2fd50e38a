"""DeleteAcls (key 31), v1-3: delete every ACL binding the filters match.

Needs Alter on the cluster; without an authorizer: SECURITY_DISABLED, as Kafka does. Each
filter's result lists the bindings it matched (and deleted); one binding matched by two
filters is listed by both and removed once.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._acl_util import acl_filter, alter_refusal
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.DELETE_ACLS)
async def handle(ctx, request):
    refusal = alter_refusal(ctx)
    if refusal is not None:
        results = [refusal] * len(request.filters)
    else:
        try:
            results = ctx.broker.controller.delete_acls([acl_filter(f) for f in request.filters])
        except KafkaError as e:
            results = [e] * len(request.filters)
    return ctx.respond(throttle_time=0, filter_results=tuple(_result(ctx, r) for r in results))


def _result(ctx, result):
    if isinstance(result, KafkaError):
        return ctx.make(
            "DeleteAclsFilterResult",
            error_code=result.code,
            error_message=result.message,
            matching_acls=(),
        )
    matching = tuple(
        ctx.make(
            "DeleteAclsMatchingAcl",
            error_code=ErrorCode.none,
            error_message=None,
            resource_type=b.resource_type,
            resource_name=b.resource_name,
            pattern_type=b.pattern_type,
            principal=b.principal,
            host=b.host,
            operation=b.operation,
            permission_type=b.permission,
        )
        for b in result
    )
    return ctx.make(
        "DeleteAclsFilterResult",
        error_code=ErrorCode.none,
        error_message=None,
        matching_acls=matching,
    )
