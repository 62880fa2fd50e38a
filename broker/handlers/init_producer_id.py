"""InitProducerId (key 22), v0-5: producer ids for idempotent and transactional producers.

Without a transactional id each call allocates a fresh id at epoch 0 (ids come from blocks
persisted in the metadata log, so they never repeat across restarts). With one, the
transaction coordinator answers (broker/txn/coordinator.py): a new id, or the id's epoch
bumped, fencing older instances and aborting their open transaction; v3+ may present the
producer's current id and epoch to recover after an error (KIP-360). PRODUCER_FENCED is
INVALID_PRODUCER_EPOCH before v4.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers._group_util import ms
from broker.handlers._txn_util import fenced_code
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.INIT_PRODUCER_ID)
async def handle(ctx, request):
    tid = request.transactional_id
    if tid is not None:
        allowed = ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, tid)
        refusal = ErrorCode.transactional_id_authorization_failed
    else:
        # an idempotent producer: IdempotentWrite on the cluster, or Write on some topic
        # (KIP-679, Kafka's authorizeByResourceType)
        allowed = ctx.authorize_cluster(
            AclOperation.IDEMPOTENT_WRITE, audit=False
        ) or ctx.authorize_by_resource_type(AclOperation.WRITE, ResourceType.TOPIC)
        refusal = ErrorCode.cluster_authorization_failed
    if not allowed:
        return ctx.respond(throttle_time=0, error_code=refusal, producer_id=-1, producer_epoch=-1)
    try:
        if tid is not None:
            producer_id, epoch = ctx.broker.txn.init_producer_id(
                tid,
                ms(request.transaction_timeout),
                getattr(request, "producer_id", -1),
                getattr(request, "producer_epoch", -1),
            )
        else:
            producer_id, epoch = ctx.broker.controller.allocate_producer_id(), 0
    except KafkaError as e:
        return ctx.respond(
            throttle_time=0,
            error_code=fenced_code(e.code, ctx.version, 4),
            producer_id=-1,
            producer_epoch=-1,
        )
    return ctx.respond(
        throttle_time=0, error_code=ErrorCode.none, producer_id=producer_id, producer_epoch=epoch
    )
