"""What AlterConfigs and IncrementalAlterConfigs share: per-resource dispatch and results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.errors import ErrorCode, KafkaError

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8

# (controller, resource name, changes, validate_only) -> None
Apply = Callable[[Any, str, Any, bool], None]


def alter_resources(
    ctx, request, changes_of: Callable[[Any], Any], on_topic: Apply, on_broker: Apply
):
    """Apply each resource's changes; one result per resource, errors kept per resource."""
    responses = []
    for res in request.resources:
        code, message = ErrorCode.none, None
        try:
            changes = changes_of(res)
            if res.resource_type == TOPIC:
                apply = on_topic
            elif res.resource_type == BROKER:
                apply = on_broker
            else:
                raise KafkaError(
                    ErrorCode.invalid_request, f"resource type {res.resource_type} is not supported"
                )
            apply(ctx.broker.controller, res.resource_name, changes, request.validate_only)
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
