"""TxnOffsetCommit (key 28), v0-4: a group's offsets committed inside a transaction.

The group coordinator writes them to the group's ``__consumer_offsets`` partition as a
transactional batch of the producer; they become the group's committed offsets when the
commit marker lands there, and are dropped on abort. Needs Write on the transactional id,
Read on the group and on each topic. v3+ names the consumer's member and generation, checked
as Kafka does (only when given).
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers._group_util import commit_response_topics, offsets_to_commit
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.TXN_OFFSET_COMMIT)
async def handle(ctx, request):
    if not ctx.authorize(
        AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id
    ):
        refusal = ErrorCode.transactional_id_authorization_failed
    elif not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        refusal = ErrorCode.group_authorization_failed
    else:
        refusal = None
    wanted, codes = offsets_to_commit(ctx, request, refusal)
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
    topics = commit_response_topics(ctx, request, codes, "TxnOffsetCommit")
    return ctx.respond(throttle_time=0, topics=topics)
