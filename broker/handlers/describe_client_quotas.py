"""DescribeClientQuotas (key 48), v0-1: the quotas of the entities a filter matches.

v1 is flexible, nothing more. Kafka's answers (ClientQuotasImage.describe, rules in
broker/quotas/describe.py): a filter Kafka refuses is INVALID_REQUEST with its message (an
unknown entity type is UNSUPPORTED_VERSION), with null entries. DescribeConfigs on the
cluster is required; refused, the answer is CLUSTER_AUTHORIZATION_FAILED.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.quotas.describe import QuotaFilter, describe
from broker.quotas.entity import ordered
from broker.security.acl import AclOperation


@handles(ApiKey.DESCRIBE_CLIENT_QUOTAS)
async def handle(ctx, request):
    try:
        if not ctx.authorize_cluster(AclOperation.DESCRIBE_CONFIGS):
            raise KafkaError(
                ErrorCode.cluster_authorization_failed, "Cluster authorization failed."
            )
        quota_filter = QuotaFilter.parse(
            [(c.entity_type, c.match_type, c.match) for c in request.components], request.strict
        )
    except KafkaError as e:
        return ctx.respond(
            throttle_time=0, error_code=e.code, error_message=e.message, entries=None
        )
    found = describe(ctx.broker.metadata.image.client_quotas, quota_filter)
    entries = tuple(
        ctx.make(
            "EntryData",
            entity=tuple(
                ctx.make("EntityData", entity_type=t, entity_name=n) for t, n in ordered(entity)
            ),
            values=tuple(
                ctx.make("ValueData", key=k, value=v) for k, v in sorted(values.items())
            ),
        )
        for entity, values in found
    )
    return ctx.respond(
        throttle_time=0, error_code=ErrorCode.none, error_message=None, entries=entries
    )
