"""DescribeProducers (key 61), v0: the producers a partition knows (KIP-664).

Operators use it to find hanging transactions (Kafka's kafka-transactions.sh
describe-producers / find-hanging): per partition, each producer id with its epoch, last
sequence and timestamp, the coordinator epoch of its last marker, and the first offset of
its open transaction. Needs Read on the topic, as Kafka checks.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.DESCRIBE_PRODUCERS)
async def handle(ctx, request):
    topics = []
    for tr in request.topics:
        readable = ctx.authorize(AclOperation.READ, ResourceType.TOPIC, tr.name)
        parts = []
        for index in tr.partition_indexes:
            partition = ctx.broker.partition(tr.name, index) if readable else None
            if partition is None:
                code = (
                    ErrorCode.unknown_topic_or_partition
                    if readable
                    else ErrorCode.topic_authorization_failed
                )
                parts.append(_partition(ctx, index, code, ()))
                continue
            state = partition.producers
            active = tuple(
                ctx.make(
                    "ProducerState",
                    producer_id=pid,
                    producer_epoch=entry.epoch,
                    last_sequence=entry.last_seq,
                    last_timestamp=entry.last_timestamp,
                    coordinator_epoch=entry.coordinator_epoch,
                    current_txn_start_offset=state.ongoing.get(pid, -1),
                )
                for pid, entry in sorted(state.producers.items())
            )
            parts.append(_partition(ctx, index, ErrorCode.none, active))
        topics.append(ctx.make("TopicResponse", name=tr.name, partitions=tuple(parts)))
    return ctx.respond(throttle_time=0, topics=tuple(topics))


def _partition(ctx, index: int, code: ErrorCode, active: tuple):
    return ctx.make(
        "PartitionResponse",
        partition_index=index,
        error_code=code,
        error_message=None,
        active_producers=active,
    )
