"""WriteTxnMarkers (key 27), v1: the inter-broker request by which a transaction
coordinator has partition leaders append commit/abort markers.

Needs ClusterAction on the cluster (CLUSTER_AUTHORIZATION_FAILED for every partition). Each
marker is written by broker/txn/markers.py, the same code the local coordinator uses.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation
from broker.txn.markers import TxnMarker, write_markers


@handles(ApiKey.WRITE_TXN_MARKERS)
async def handle(ctx, request):
    allowed = ctx.authorize_cluster(AclOperation.CLUSTER_ACTION)
    results = []
    for m in request.markers:
        partitions = tuple((t.name, p) for t in m.topics for p in t.partition_indexes)
        if allowed:
            codes = write_markers(
                ctx.broker,
                TxnMarker(
                    m.producer_id,
                    m.producer_epoch,
                    m.transaction_result,
                    m.coordinator_epoch,
                    partitions,
                ),
            )
        else:
            codes = dict.fromkeys(partitions, ErrorCode.cluster_authorization_failed)
        results.append(
            ctx.make(
                "WritableTxnMarkerResult",
                producer_id=m.producer_id,
                topics=tuple(
                    ctx.make(
                        "WritableTxnMarkerTopicResult",
                        name=t.name,
                        partitions=tuple(
                            ctx.make(
                                "WritableTxnMarkerPartitionResult",
                                partition_index=p,
                                error_code=codes[(t.name, p)],
                            )
                            for p in t.partition_indexes
                        ),
                    )
                    for t in m.topics
                ),
            )
        )
    return ctx.respond(markers=tuple(results))
