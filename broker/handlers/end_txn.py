"""EndTxn (key 26), v0-4: commit or abort the producer's transaction.

Answered once the outcome is durable: the coordinator persists PrepareCommit/PrepareAbort,
writes the markers and persists the completion (see broker/txn/coordinator.py). Version 5
(an epoch bump per transaction, KIP-890 part 2) is not served. PRODUCER_FENCED is
INVALID_PRODUCER_EPOCH before v2.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._txn_util import fenced_code
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.END_TXN)
async def handle(ctx, request):
    tid = request.transactional_id
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, tid):
        return ctx.respond(
            throttle_time=0, error_code=ErrorCode.transactional_id_authorization_failed
        )
    try:
        ctx.broker.txn.end_txn(tid, request.producer_id, request.producer_epoch, request.committed)
        code = ErrorCode.none
    except KafkaError as e:
        code = fenced_code(e.code, ctx.version, 2)
    return ctx.respond(throttle_time=0, error_code=code)
