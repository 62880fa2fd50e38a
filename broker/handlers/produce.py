"""Produce (key 0), v3-11 served (advertised from v0, see protocol/apis.py).

Batches are validated (magic 2, sizes, CRC-32C, max.message.bytes, producer sequence) and
appended as received, with offsets assigned in place. acks=0 gets no response at all, and a
failure closes the connection (as Kafka does: the client's only cue). A batch refused for one
of its records names it in ``record_errors`` (v8+, KIP-467; older versions get the code).
Single node: the ISR is this broker, so acks=1 and acks=all are both satisfied on append.
A transactional producer (transactional_id set) needs Write on its transactional id; its
batches go through the same append path, which tracks where its transaction began.
zstd batches need v7+ (KIP-110): older versions get UNSUPPORTED_COMPRESSION_TYPE, as from
Kafka (sarama 1.22 sends zstd batches at v3).
"""

from __future__ import annotations

import logging

from broker.errors import ErrorCode, KafkaError, RecordError
from broker.handlers.context import CLOSE_CONNECTION
from broker.handlers.registry import handles
from broker.protocol import records
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

log = logging.getLogger("broker.produce")


@handles(ApiKey.PRODUCE)
async def handle(ctx, request):
    broker = ctx.broker
    acks = request.acks
    tid = request.transactional_id
    txn_denied = tid is not None and not ctx.authorize(
        AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, tid
    )
    responses = []
    for topic_data in request.topic_data:
        writable = ctx.authorize(AclOperation.WRITE, ResourceType.TOPIC, topic_data.name)
        parts = []
        for pd in topic_data.partition_data:
            base_offset, append_time, log_start, code, message = -1, -1, -1, ErrorCode.none, None
            record_errors = ()
            try:
                if acks not in (0, 1, -1):
                    raise KafkaError(
                        ErrorCode.invalid_required_acks, f"acks={acks} is not 0, 1 or -1"
                    )
                if txn_denied:
                    raise KafkaError(
                        ErrorCode.transactional_id_authorization_failed,
                        "Write denied on the transactional id",
                    )
                if not writable:
                    raise KafkaError(ErrorCode.topic_authorization_failed, "Write denied")
                partition = broker.partition(topic_data.name, pd.index)
                if partition is None:
                    raise broker.missing_partition(topic_data.name, pd.index)
                if pd.records is None:
                    raise KafkaError(ErrorCode.invalid_record, "no records in the produce request")
                if ctx.version < 7 and records.uses_codec(pd.records, records.ZSTD):
                    raise KafkaError(
                        ErrorCode.unsupported_compression_type,
                        f"Produce requests with version {ctx.version} may not use zstd (v7+)",
                    )
                result = broker.produce(partition, pd.records, acks)
                base_offset = result.base_offset
                append_time = result.log_append_time
                log_start = result.log_start_offset
            except KafkaError as e:
                code, message = e.code, e.message
                if isinstance(e, RecordError) and ctx.version >= 8:
                    record_errors = (
                        ctx.make(
                            "BatchIndexAndErrorMessage",
                            batch_index=e.index,
                            batch_index_error_message=message,
                        ),
                    )
                if code not in (  # logged elsewhere, or the client's own mistake
                    ErrorCode.unknown_topic_or_partition,
                    ErrorCode.topic_authorization_failed,
                    ErrorCode.kafka_storage_error,
                ):
                    log.info("produce to %s-%d refused: %s", topic_data.name, pd.index, message)
            parts.append(
                ctx.make(
                    "PartitionProduceResponse",
                    index=pd.index,
                    error_code=code,
                    base_offset=base_offset,
                    log_append_time=append_time,
                    log_start_offset=log_start,
                    record_errors=record_errors,
                    error_message=message,
                )
            )
        responses.append(
            ctx.make("TopicProduceResponse", name=topic_data.name, partition_responses=tuple(parts))
        )
    if acks == 0:
        failed = [
            f"{t.name}-{p.index}: {p.error_code.name}"
            for t in responses
            for p in t.partition_responses
            if p.error_code != ErrorCode.none
        ]
        if failed:
            # As Kafka: the client hears of it by the closed connection, and refreshes its
            # metadata (an unknown partition, a moved leader) before it sends again.
            log.info(
                "closing connection from %s after an acks=0 produce that failed: %s",
                ctx.client_host,
                ", ".join(failed),
            )
            return CLOSE_CONNECTION
        return None
    return ctx.respond(responses=tuple(responses), throttle_time=0)
