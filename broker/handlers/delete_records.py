"""DeleteRecords (key 21), v0-2: move a partition's log start offset forward.

Offset -1 means the high watermark. Whole segments below the new start are deleted; the
start offset is persisted, so the records stay gone after a restart.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.DELETE_RECORDS)
async def handle(ctx, request):
    topics = []
    for t in request.topics:
        deletable = ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, t.name)
        parts = []
        for rp in t.partitions:
            code, low = ErrorCode.none, -1
            try:
                if not deletable:
                    raise KafkaError(ErrorCode.topic_authorization_failed)
                partition = ctx.broker.partition(t.name, rp.partition_index)
                if partition is None:
                    raise KafkaError(ErrorCode.unknown_topic_or_partition)
                offset = partition.high_watermark if rp.offset == -1 else rp.offset
                if offset < 0 or offset > partition.high_watermark:
                    raise KafkaError(
                        ErrorCode.offset_out_of_range,
                        f"offset {rp.offset} is beyond the high watermark",
                    )
                low = partition.log.delete_records_before(offset)
            except KafkaError as e:
                code = e.code
            parts.append(
                ctx.make(
                    "DeleteRecordsPartitionResult",
                    partition_index=rp.partition_index,
                    low_watermark=low,
                    error_code=code,
                )
            )
        topics.append(ctx.make("DeleteRecordsTopicResult", name=t.name, partitions=tuple(parts)))
    return ctx.respond(throttle_time=0, topics=tuple(topics))
