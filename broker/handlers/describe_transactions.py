"""DescribeTransactions (key 65), v0: the coordinator's view of transactional ids (KIP-664).

Needs Describe on each id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an unknown id answers
TRANSACTIONAL_ID_NOT_FOUND. The partitions of an open transaction are listed only for topics
the principal may Describe, as Kafka does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

DESCRIBE = AclOperation.DESCRIBE


@handles(ApiKey.DESCRIBE_TRANSACTIONS)
async def handle(ctx, request):
    states = []
    for tid in request.transactional_ids:
        m = None
        if not ctx.authorize(DESCRIBE, ResourceType.TRANSACTIONAL_ID, tid):
            code = ErrorCode.transactional_id_authorization_failed
        else:
            m = ctx.broker.txn.describe(tid)
            code = ErrorCode.none if m is not None else ErrorCode.transactional_id_not_found
        if m is None:
            states.append(
                ctx.make(
                    "TransactionState",
                    error_code=code,
                    transactional_id=tid,
                    transaction_state="",
                    transaction_timeout=0,
                    transaction_start_time=_timestamp(-1),
                    producer_id=-1,
                    producer_epoch=-1,
                    topics=(),
                )
            )
            continue
        by_topic: dict[str, list[int]] = {}
        for topic, partition in sorted(m.partitions):
            by_topic.setdefault(topic, []).append(partition)
        topics = tuple(
            ctx.make("TopicData", topic=topic, partitions=tuple(parts))
            for topic, parts in by_topic.items()
            if ctx.authorize(DESCRIBE, ResourceType.TOPIC, topic, audit=False)
        )
        states.append(
            ctx.make(
                "TransactionState",
                error_code=ErrorCode.none,
                transactional_id=tid,
                transaction_state=m.state.display,
                transaction_timeout=m.timeout_ms,
                transaction_start_time=_timestamp(m.txn_start_ms),
                producer_id=m.producer_id,
                producer_epoch=m.producer_epoch,
                topics=topics,
            )
        )
    return ctx.respond(throttle_time=0, transaction_states=tuple(states))


def _timestamp(ms: int) -> datetime:
    """kio's int64 timestamp field takes a datetime; -1 (no transaction) is 1 ms before the
    epoch, which it writes back as -1."""
    return datetime.fromtimestamp(ms / 1000, UTC)
