"""AddPartitionsToTxn (key 24), v0-3: a transactional producer names the partitions it is about
to write, so the coordinator knows where its markers go.

Versions 4+ (brokers verifying for each other, batched, KIP-890) are not served. Checks as
in Kafka: Write on the transactional id (else every partition answers
TRANSACTIONAL_ID_AUTHORIZATION_FAILED), Write on each topic (TOPIC_AUTHORIZATION_FAILED; an
internal topic always, even for a super user: only the coordinators write there) and
existing partitions (UNKNOWN_TOPIC_OR_PARTITION); when any partition fails, the others answer
OPERATION_NOT_ATTEMPTED and nothing is added. A coordinator error applies to every
partition; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._txn_util import fenced_code
from broker.handlers.registry import handles
from broker.metadata.controller import INTERNAL_TOPICS
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

WRITE = AclOperation.WRITE


@handles(ApiKey.ADD_PARTITIONS_TO_TXN)
async def handle(ctx, request):
    tid = request.v3_and_below_transactional_id
    topics = request.v3_and_below_topics
    wanted = [(t.name, p) for t in topics for p in t.partitions]
    codes: dict[tuple[str, int], ErrorCode] = {}
    if not ctx.authorize(WRITE, ResourceType.TRANSACTIONAL_ID, tid):
        codes = dict.fromkeys(wanted, ErrorCode.transactional_id_authorization_failed)
    else:
        for t in topics:
            writable = t.name not in INTERNAL_TOPICS and ctx.authorize(
                WRITE, ResourceType.TOPIC, t.name
            )
            for p in t.partitions:
                if not writable:
                    codes[(t.name, p)] = ErrorCode.topic_authorization_failed
                elif ctx.broker.partition(t.name, p) is None:
                    codes[(t.name, p)] = ErrorCode.unknown_topic_or_partition
        if codes:
            for tp in wanted:
                codes.setdefault(tp, ErrorCode.operation_not_attempted)
        else:
            try:
                ctx.broker.txn.add_partitions(
                    tid,
                    request.v3_and_below_producer_id,
                    request.v3_and_below_producer_epoch,
                    set(wanted),
                )
                code = ErrorCode.none
            except KafkaError as e:
                code = fenced_code(e.code, ctx.version, 2)
            codes = dict.fromkeys(wanted, code)
    results = tuple(
        ctx.make(
            "AddPartitionsToTxnTopicResult",
            name=t.name,
            results_by_partition=tuple(
                ctx.make(
                    "AddPartitionsToTxnPartitionResult",
                    partition_index=p,
                    partition_error_code=codes[(t.name, p)],
                )
                for p in t.partitions
            ),
        )
        for t in topics
    )
    return ctx.respond(throttle_time=0, results_by_topic_v3_and_below=results)
