"""AddOffsetsToTxn (key 25), v0-4: the producer will commit a group's offsets in its
transaction (send_offsets_to_transaction). The group's ``__consumer_offsets`` partition joins
the transaction, so the coordinator's marker decides the offsets written there.

Write on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and Read on the group
(GROUP_AUTHORIZATION_FAILED) are needed, as in Kafka. PRODUCER_FENCED is
INVALID_PRODUCER_EPOCH before v2.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.group.offsets_topic import OFFSETS_TOPIC
from broker.handlers._txn_util import fenced_code
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.ADD_OFFSETS_TO_TXN)
async def handle(ctx, request):
    tid = request.transactional_id
    if not ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, tid):
        code = ErrorCode.transactional_id_authorization_failed
    elif not ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id):
        code = ErrorCode.group_authorization_failed
    else:
        try:
            index = ctx.broker.groups.store.partition_of(request.group_id)
            ctx.broker.txn.add_partitions(
                tid, request.producer_id, request.producer_epoch, {(OFFSETS_TOPIC, index)}
            )
            code = ErrorCode.none
        except KafkaError as e:
            code = fenced_code(e.code, ctx.version, 2)
    return ctx.respond(throttle_time=0, error_code=code)
