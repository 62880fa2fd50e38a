"""IncrementalAlterConfigs (key 44), v0-1: SET, DELETE, APPEND, SUBTRACT per config.

Changes to a topic take effect at once on its partitions (segment size and age, flush
policy, max.message.bytes, timestamp type), and persist in the metadata log.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.describe_configs import BROKER, TOPIC
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey

OPERATIONS = {0: "SET", 1: "DELETE", 2: "APPEND", 3: "SUBTRACT"}


@handles(ApiKey.INCREMENTAL_ALTER_CONFIGS)
async def handle(ctx, request):
    responses = []
    for res in request.resources:
        code, message = ErrorCode.none, None
        try:
            ops = []
            for c in res.configs:
                if c.config_operation not in OPERATIONS:
                    raise KafkaError(
                        ErrorCode.invalid_request, f"unknown config operation {c.config_operation}"
                    )
                ops.append((c.name, OPERATIONS[c.config_operation], c.value))
            if res.resource_type == TOPIC:
                ctx.broker.controller.alter_topic_configs(
                    res.resource_name, ops, validate_only=request.validate_only
                )
            elif res.resource_type == BROKER:
                ctx.broker.controller.alter_broker_configs(
                    res.resource_name, ops, validate_only=request.validate_only
                )
            else:
                raise KafkaError(
                    ErrorCode.invalid_request, f"resource type {res.resource_type} is not supported"
                )
        except KafkaError as e:
            code, message = e.code, e.message
        responses.append(
            ctx.make(
                "AlterConfigsResourceResponse",
                error_code=code,
                error_message=message,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
            )
        )
    return ctx.respond(throttle_time=0, responses=tuple(responses))
