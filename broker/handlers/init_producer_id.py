"""InitProducerId (key 22), v0-5: producer ids for idempotent producers.

Each call allocates a fresh id at epoch 0 (ids come from blocks persisted in the metadata
log, so they never repeat across restarts). Transactional ids are refused: this broker has
no transaction coordinator yet.
"""

from __future__ import annotations

import logging

from broker.errors import ErrorCode, KafkaError
from broker.handlers.find_coordinator import NO_TRANSACTIONS
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

log = logging.getLogger("broker.producer")


@handles(ApiKey.INIT_PRODUCER_ID)
async def handle(ctx, request):
    if request.transactional_id is not None:
        allowed = ctx.authorize(
            AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactional_id
        )
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
    if request.transactional_id is not None:
        # the code clients treat as fatal (see find_coordinator.py, which normally refuses
        # a transactional producer before it gets here)
        tid = request.transactional_id
        log.info("refusing transactional producer %r: %s", tid, NO_TRANSACTIONS)
        return ctx.respond(
            throttle_time=0,
            error_code=ErrorCode.transactional_id_authorization_failed,
            producer_id=-1,
            producer_epoch=-1,
        )
    try:
        producer_id = ctx.broker.controller.allocate_producer_id()
    except KafkaError as e:
        return ctx.respond(throttle_time=0, error_code=e.code, producer_id=-1, producer_epoch=-1)
    return ctx.respond(
        throttle_time=0, error_code=ErrorCode.none, producer_id=producer_id, producer_epoch=0
    )
