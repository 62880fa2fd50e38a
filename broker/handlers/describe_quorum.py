"""DescribeQuorum (key 55), v0-2: the Raft quorum of the metadata log (kafka-metadata-quorum).

v1 adds each replica's last fetch and caught-up times (KIP-836); v2 error messages, replica
directory ids and the voters' listeners (KIP-853). Kafka's answers: the request must name
exactly partition 0 of ``__cluster_metadata``, else each partition it names is
UNKNOWN_TOPIC_OR_PARTITION; Describe on the cluster is required, else a top-level
CLUSTER_AUTHORIZATION_FAILED. This node is the leader and sole voter (metadata/quorum.py);
its listeners are the ones it serves, since the quorum answers on them. Directory ids are
the zero UUID, as Kafka reports for voters fixed by configuration.
"""

from __future__ import annotations

import time

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.metadata.quorum import METADATA_PARTITION, METADATA_TOPIC, ReplicaState
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.DESCRIBE_QUORUM)
async def handle(ctx, request):
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        return ctx.respond(
            error_code=ErrorCode.cluster_authorization_failed,
            error_message="Describe on the cluster denied",
            topics=(),
            nodes=(),
        )
    if not _names_metadata_partition(request):
        code = ErrorCode.unknown_topic_or_partition
        message = f"the quorum replicates only {METADATA_TOPIC}-{METADATA_PARTITION}"
        topics = tuple(
            ctx.make(
                "TopicData",
                topic_name=t.topic_name,
                partitions=tuple(
                    _unknown(ctx, p.partition_index, code, message) for p in t.partitions
                ),
            )
            for t in request.topics
        )
        return ctx.respond(error_code=ErrorCode.none, error_message=None, topics=topics, nodes=())
    info = ctx.broker.quorum.describe(int(time.time() * 1000))
    partition = ctx.make(
        "PartitionData",
        partition_index=METADATA_PARTITION,
        error_code=ErrorCode.none,
        error_message=None,
        leader_id=info.leader_id,
        leader_epoch=info.leader_epoch,
        high_watermark=info.high_watermark,
        current_voters=tuple(_replica(ctx, r) for r in info.voters),
        observers=tuple(_replica(ctx, r) for r in info.observers),
    )
    return ctx.respond(
        error_code=ErrorCode.none,
        error_message=None,
        topics=(ctx.make("TopicData", topic_name=METADATA_TOPIC, partitions=(partition,)),),
        # v2: the voters' listeners; the sole voter is this node
        nodes=(_this_node(ctx),) if ctx.version >= 2 else (),
    )


def _names_metadata_partition(request) -> bool:
    topics = request.topics
    return (
        len(topics) == 1
        and topics[0].topic_name == METADATA_TOPIC
        and len(topics[0].partitions) == 1
        and topics[0].partitions[0].partition_index == METADATA_PARTITION
    )


def _unknown(ctx, index: int, code: ErrorCode, message: str):
    # Kafka leaves the other fields at their defaults, zeros, not -1 for "unknown".
    return ctx.make(
        "PartitionData",
        partition_index=index,
        error_code=code,
        error_message=message,
        leader_id=0,
        leader_epoch=0,
        high_watermark=0,
        current_voters=(),
        observers=(),
    )


def _replica(ctx, r: ReplicaState):
    return ctx.make(
        "ReplicaState",
        replica_id=r.replica_id,
        replica_directory_id=None,
        log_end_offset=r.log_end_offset,
        last_fetch_timestamp=r.last_fetch_ms,
        last_caught_up_timestamp=r.last_caught_up_ms,
    )


def _this_node(ctx):
    listeners = tuple(
        ctx.make("Listener", name=spec.name, host=spec.endpoint[0], port=spec.endpoint[1])
        for spec in ctx.broker.listeners.values()
    )
    return ctx.make("Node", node_id=ctx.broker.node_id, listeners=listeners)
