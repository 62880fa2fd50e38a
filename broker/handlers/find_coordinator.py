"""FindCoordinator (key 10), v0-4: this broker coordinates every group (key type 0) and
every transactional id (key type 1).

v4+ asks for several keys at once (``coordinator_keys``). Describe on the group or the
transactional id is needed, as in Kafka.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

GROUP_KEY_TYPE = 0
TRANSACTION_KEY_TYPE = 1


def _refused(ctx, key_type: int, key: str) -> dict | None:
    """The answer when the principal may not Describe the group / transactional id."""
    if key_type == GROUP_KEY_TYPE:
        rt, code = ResourceType.GROUP, ErrorCode.group_authorization_failed
    elif key_type == TRANSACTION_KEY_TYPE:
        rt, code = ResourceType.TRANSACTIONAL_ID, ErrorCode.transactional_id_authorization_failed
    else:
        return None
    if ctx.authorize(AclOperation.DESCRIBE, rt, key):
        return None
    return _failed(code, "Describe denied")


def _failed(code: ErrorCode, message: str) -> dict:
    return dict(error_code=code, error_message=message, node_id=-1, host="", port=-1)


def _answer(ctx, key_type: int, key: str) -> dict:
    host, port = ctx.broker.endpoint(ctx.listener)
    if key_type not in (GROUP_KEY_TYPE, TRANSACTION_KEY_TYPE):
        return _failed(ErrorCode.invalid_request, f"unknown coordinator key type {key_type}")
    return dict(
        error_code=ErrorCode.none,
        error_message=None,
        node_id=ctx.broker.node_id,
        host=host,
        port=port,
    )


@handles(ApiKey.FIND_COORDINATOR)
async def handle(ctx, request):
    key_type = getattr(request, "key_type", GROUP_KEY_TYPE)
    if ctx.version >= 4:
        coordinators = tuple(
            ctx.make(
                "Coordinator",
                key=key,
                **(_refused(ctx, key_type, key) or _answer(ctx, key_type, key)),
            )
            for key in request.coordinator_keys
        )
        return ctx.respond(throttle_time=0, coordinators=coordinators)
    answer = _refused(ctx, key_type, request.key) or _answer(ctx, key_type, request.key)
    return ctx.respond(throttle_time=0, **answer)
