"""DescribeCluster (key 60), v0-1: brokers, controller and cluster id for admin clients."""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.metadata import AUTHORIZED_OPERATIONS_OMITTED
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

BROKERS_ENDPOINT = 1


@handles(ApiKey.DESCRIBE_CLUSTER)
async def handle(ctx, request):
    broker = ctx.broker
    endpoint_type = getattr(request, "endpoint_type", BROKERS_ENDPOINT)
    if endpoint_type != BROKERS_ENDPOINT:
        return ctx.respond(
            throttle_time=0,
            error_code=ErrorCode.unsupported_endpoint_type,
            error_message="only broker endpoints are described",
            endpoint_type=endpoint_type,
            cluster_id=broker.cluster_id,
            controller_id=-1,
            brokers=(),
            cluster_authorized_operations=AUTHORIZED_OPERATIONS_OMITTED,
        )
    host, port = broker.endpoint(ctx.listener)
    return ctx.respond(
        throttle_time=0,
        error_code=ErrorCode.none,
        error_message=None,
        endpoint_type=BROKERS_ENDPOINT,
        cluster_id=broker.cluster_id,
        controller_id=broker.node_id,
        brokers=(
            ctx.make(
                "DescribeClusterBroker", broker_id=broker.node_id, host=host, port=port, rack=None
            ),
        ),
        cluster_authorized_operations=_cluster_operations(ctx, request),
    )


def _cluster_operations(ctx, request) -> int:
    # As Kafka: no ACL check on the request itself; the bits only when asked, and 0 without
    # Describe on the cluster.
    if not request.include_cluster_authorized_operations:
        return AUTHORIZED_OPERATIONS_OMITTED
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        return 0
    return ctx.authorized_operations(ResourceType.CLUSTER)
