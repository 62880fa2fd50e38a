"""AlterPartitionReassignments (key 45), v0: move partitions to other replica sets, or cancel.

Kafka's answers per partition (the controller's checks): UNKNOWN_TOPIC_OR_PARTITION; a null
replica list cancels, NO_REASSIGNMENT_IN_PROGRESS when there is nothing to cancel; an empty
list, an unregistered broker or one named twice is INVALID_REPLICA_ASSIGNMENT; the current
replica set completes at once. Alter on the cluster is required; refused, the error goes at
the top and to every partition, as in Kafka's error response. Like the other admin APIs
here, the change is done before answering, so the request's timeout is not waited on.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.ALTER_PARTITION_REASSIGNMENTS)
async def handle(ctx, request):
    refusal = None
    if not ctx.authorize_cluster(AclOperation.ALTER):
        refusal = KafkaError(ErrorCode.cluster_authorization_failed, "Alter on the cluster denied")
    controller = ctx.broker.controller
    topics = []
    for t in request.topics:
        partitions = []
        for p in t.partitions:
            error = refusal
            if error is None:
                replicas = None if p.replicas is None else list(p.replicas)
                try:
                    controller.alter_reassignment(t.name, p.partition_index, replicas)
                except KafkaError as e:
                    error = e
            partitions.append(
                ctx.make(
                    "ReassignablePartitionResponse",
                    partition_index=p.partition_index,
                    error_code=ErrorCode.none if error is None else error.code,
                    error_message=None if error is None else error.message,
                )
            )
        topics.append(
            ctx.make("ReassignableTopicResponse", name=t.name, partitions=tuple(partitions))
        )
    return ctx.respond(
        throttle_time=0,
        error_code=ErrorCode.none if refusal is None else refusal.code,
        error_message=None if refusal is None else refusal.message,
        responses=tuple(topics),
    )
