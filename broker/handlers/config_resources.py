"""What AlterConfigs and IncrementalAlterConfigs share: per-resource dispatch and results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.errors import ErrorCode, KafkaError
from broker.security.acl import AclOperation, ResourceType

TOPIC, BROKER, BROKER_LOGGER, GROUP = 2, 4, 8, 32  # Kafka's ConfigResource types


def authorize_config(ctx, resource_type: int, name: str, op: AclOperation) -> None:
    """Kafka's rule: ``op`` (DescribeConfigs/AlterConfigs) on the topic or group, or on the
    cluster for a broker or broker logger; KafkaError(TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_
    FAILED) if denied."""
    if resource_type == TOPIC and not ctx.authorize(op, ResourceType.TOPIC, name):
        raise KafkaError(ErrorCode.topic_authorization_failed, f"{op.name} denied")
    if resource_type == GROUP and not ctx.authorize(op, ResourceType.GROUP, name):
        raise KafkaError(ErrorCode.group_authorization_failed, f"{op.name} denied")
    if resource_type in (BROKER, BROKER_LOGGER) and not ctx.authorize_cluster(op):
        raise KafkaError(ErrorCode.cluster_authorization_failed, f"{op.name} denied")


def check_logger_resource(broker, name: str) -> None:
    """A BROKER_LOGGER resource names this broker by its id (no cluster-wide default)."""
    if name != str(broker.node_id):
        raise KafkaError(
            ErrorCode.invalid_request,
            f"broker loggers belong to broker {broker.node_id}, not {name!r}",
        )


# (controller, resource name, changes, validate_only) -> None
Apply = Callable[[Any, str, Any, bool], None]


def alter_resources(
    ctx,
    request,
    changes_of: Callable[[Any], Any],
    on_topic: Apply,
    on_broker: Apply,
    on_group: Apply,
    on_logger: Apply | None = None,
):
    """Apply each resource's changes; one result per resource, errors kept per resource.
    ``on_logger`` None: BROKER_LOGGER resources are refused (legacy AlterConfigs)."""
    responses = []
    for res in request.resources:
        code, message = ErrorCode.none, None
        try:
            authorize_config(ctx, res.resource_type, res.resource_name, AclOperation.ALTER_CONFIGS)
            changes = changes_of(res)
            if res.resource_type == TOPIC:
                apply = on_topic
            elif res.resource_type == BROKER:
                apply = on_broker
            elif res.resource_type == GROUP:
                apply = on_group
            elif res.resource_type == BROKER_LOGGER:
                if on_logger is None:
                    raise KafkaError(
                        ErrorCode.invalid_request,
                        "AlterConfigs does not change broker loggers: use IncrementalAlterConfigs",
                    )
                check_logger_resource(ctx.broker, res.resource_name)
                apply = on_logger
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
