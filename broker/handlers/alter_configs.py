"""AlterConfigs (key 33), v0-2: replace a resource's whole set of dynamic configs.

Legacy and non-incremental: configs left out of the request are removed. Clients should
prefer IncrementalAlterConfigs; this one stays for older tools.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.describe_configs import BROKER, TOPIC
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.ALTER_CONFIGS)
async def handle(ctx, request):
    responses = []
    for res in request.resources:
        code, message = ErrorCode.none, None
        configs = {c.name: c.value for c in res.configs}
        try:
            if res.resource_type == TOPIC:
                ctx.broker.controller.replace_topic_configs(
                    res.resource_name, configs, validate_only=request.validate_only
                )
            elif res.resource_type == BROKER:
                ctx.broker.controller.replace_broker_configs(
                    res.resource_name, configs, validate_only=request.validate_only
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
