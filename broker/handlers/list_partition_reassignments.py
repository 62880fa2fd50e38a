"""ListPartitionReassignments (key 46), v0: the reassignments in progress.

As Kafka: a null topic list means every reassignment in progress; otherwise those among the
named partitions, unknown topics and partitions left out, and topics without any omitted.
On one node none is ever in progress (metadata/reassignments.py), so the list is empty.
Describe on the cluster is required; refused, Kafka's error response names each requested
partition with empty replica lists.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.LIST_PARTITION_REASSIGNMENTS)
async def handle(ctx, request):
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        named = tuple(
            ctx.make(
                "OngoingTopicReassignment",
                name=t.name,
                partitions=tuple(
                    ctx.make("OngoingPartitionReassignment", partition_index=i)
                    for i in t.partition_indexes
                ),
            )
            for t in request.topics or ()
        )
        return ctx.respond(
            throttle_time=0,
            error_code=ErrorCode.cluster_authorization_failed,
            error_message="Describe on the cluster denied",
            topics=named,
        )
    ongoing = {(r.topic, r.partition): r for r in ctx.broker.controller.reassignments_in_progress()}
    if request.topics is None:
        keys = list(ongoing)
    else:
        keys = [(t.name, i) for t in request.topics for i in t.partition_indexes]
    by_topic: dict[str, list] = {}
    for key in keys:
        r = ongoing.get(key)
        if r is not None:
            by_topic.setdefault(r.topic, []).append(
                ctx.make(
                    "OngoingPartitionReassignment",
                    partition_index=r.partition,
                    replicas=r.replicas,
                    adding_replicas=r.adding,
                    removing_replicas=r.removing,
                )
            )
    return ctx.respond(
        throttle_time=0,
        error_code=ErrorCode.none,
        error_message=None,
        topics=tuple(
            ctx.make("OngoingTopicReassignment", name=name, partitions=tuple(partitions))
            for name, partitions in by_topic.items()
        ),
    )
