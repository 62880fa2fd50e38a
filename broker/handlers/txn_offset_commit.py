"""TxnOffsetCommit (key 28), v0-4: a group's offsets committed inside a transaction.

The group coordinator writes them to the group's ``__consumer_offsets`` partition as a
transactional batch of the producer; they become the group's committed offsets when the
commit marker lands there, and are dropped on abort. Needs Write on the transactional id,
Read on the group and on each topic. v3+ names the consumer's member and generation, checked
as Kafka does (only when given).
"""

from __future__ import annotations

import time

from broker.errors import ErrorCode
from broker.group.offsets import NO_LEADER_EPOCH, OffsetAndMetadata
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

READ = AclOperation.READ


@handles(ApiKey.TXN_OFFSET_COMMIT)
async def handle(ctx, request):
    now = int(time.time() * 1000)
    codes: dict[tuple[str, int], ErrorCode] = {}
    wanted: dict[tuple[str, int], OffsetAndMetadata] = {}
    if not ctx.authorize(
        AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id
    ):
        refusal = ErrorCode.transactional_id_authorization_failed
    elif not ctx.authorize(READ, ResourceType.GROUP, request.group_id):
        refusal = ErrorCode.group_authorization_failed
    else:
        refusal = None
    for t in request.topics:
        readable = refusal is None and ctx.authorize(READ, ResourceType.TOPIC, t.name)
        for p in t.partitions:
            tp = (t.name, p.partition_index)
            if refusal is not None:
                codes[tp] = refusal
            elif not readable:
                codes[tp] = ErrorCode.topic_authorization_failed
            elif ctx.broker.partition(*tp) is None:
                codes[tp] = ErrorCode.unknown_topic_or_partition
            else:
                wanted[tp] = OffsetAndMetadata(
                    offset=p.committed_offset,
                    leader_epoch=getattr(p, "committed_leader_epoch", NO_LEADER_EPOCH),
                    metadata=p.committed_metadata or "",
                    commit_timestamp_ms=now,
                )
    if wanted:
        codes.update(
            ctx.broker.groups.commit_txn_offsets(
                request.group_id,
                request.producer_id,
                request.producer_epoch,
                getattr(request, "generation_id", -1),
                getattr(request, "member_id", ""),
                getattr(request, "group_instance_id", None),
                wanted,
            )
        )
    topics = tuple(
        ctx.make(
            "TxnOffsetCommitResponseTopic",
            name=t.name,
            partitions=tuple(
                ctx.make(
                    "TxnOffsetCommitResponsePartition",
                    partition_index=p.partition_index,
                    error_code=codes[(t.name, p.partition_index)],
                )
                for p in t.partitions
            ),
        )
        for t in request.topics
    )
    return ctx.respond(throttle_time=0, topics=topics)
