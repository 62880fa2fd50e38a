"""ListTransactions (key 66), v0-1: the transactional ids this coordinator holds (KIP-664),
filtered by state names, producer ids and (v1, KIP-994) a minimum running time.

Ids the principal may not Describe are left out. State names this broker does not know are
returned in ``unknown_state_filters``, as Kafka does.
"""

from __future__ import annotations

import time

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType
from broker.txn.state import TxnState

KNOWN_STATES = {s.display for s in TxnState}


@handles(ApiKey.LIST_TRANSACTIONS)
async def handle(ctx, request):
    wanted_states = set(request.state_filters)
    unknown = tuple(sorted(wanted_states - KNOWN_STATES))
    producers = set(request.producer_id_filters)
    min_duration = getattr(request, "duration_filter", -1)
    now = int(time.time() * 1000)
    listed = []
    for m in ctx.broker.txn.list():
        if wanted_states and m.state.display not in wanted_states:
            continue
        if producers and m.producer_id not in producers:
            continue
        if min_duration >= 0 and (m.txn_start_ms < 0 or now - m.txn_start_ms < min_duration):
            continue
        if not ctx.authorize(
            AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactional_id, audit=False
        ):
            continue
        listed.append(
            ctx.make(
                "TransactionState",
                transactional_id=m.transactional_id,
                producer_id=m.producer_id,
                transaction_state=m.state.display,
            )
        )
    return ctx.respond(
        throttle_time=0,
        error_code=ErrorCode.none,
        unknown_state_filters=unknown,
        transaction_states=tuple(listed),
    )
