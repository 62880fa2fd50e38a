"""DescribeConfigs (key 32), v1-4: topic, broker and consumer group configs with their
sources, and the broker's loggers with their levels (BROKER_LOGGER, KIP-412:
broker/log_levels.py). A group (GROUP, KIP-848: broker/group/group_configs.py) is described
whatever its name, existing or not, as Kafka does: its overrides, else the broker's values.

Each entry reports its value and where it came from (topic override, dynamic broker config,
static broker config, default); v1+ lists synonyms on request (the topic key, then the broker
key it defaults to), v3+ the type and v3+ documentation.
"""

from __future__ import annotations

from broker import log_levels
from broker.config import DYNAMIC_BROKER_LOGGER_CONFIG, ConfigEntry
from broker.errors import ErrorCode, KafkaError
from broker.group import group_configs
from broker.handlers.config_resources import (
    BROKER,
    BROKER_LOGGER,
    GROUP,
    TOPIC,
    authorize_config,
    check_logger_resource,
)
from broker.handlers.registry import handles
from broker.metadata.topic_config import effective_topic_config
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.DESCRIBE_CONFIGS)
async def handle(ctx, request):
    results = []
    for res in request.resources:
        code, message, configs = ErrorCode.none, None, ()
        try:
            authorize_config(
                ctx, res.resource_type, res.resource_name, AclOperation.DESCRIBE_CONFIGS
            )
            entries = _entries(ctx, res.resource_type, res.resource_name)
            keys = res.configuration_keys
            configs = tuple(
                _config(ctx, request, name, entry)
                for name, entry in sorted(entries.items())
                if not keys or name in keys  # Kafka: an empty list asks for every config
            )
        except KafkaError as e:
            code, message = e.code, e.message
        results.append(
            ctx.make(
                "DescribeConfigsResult",
                error_code=code,
                error_message=message,
                resource_type=res.resource_type,
                resource_name=res.resource_name,
                configs=configs,
            )
        )
    return ctx.respond(throttle_time=0, results=tuple(results))


def _entries(ctx, resource_type: int, name: str) -> dict:
    broker = ctx.broker
    if resource_type == TOPIC:
        topic = broker.topic(name)
        if topic is None:
            raise KafkaError(ErrorCode.unknown_topic_or_partition, f"topic {name} does not exist")
        return effective_topic_config(topic.configs, broker.config)
    if resource_type == BROKER:
        if name not in ("", str(broker.node_id)):
            raise KafkaError(
                ErrorCode.invalid_request, f"this is broker {broker.node_id}, not {name}"
            )
        return broker.config.describe()
    if resource_type == BROKER_LOGGER:
        check_logger_resource(broker, name)
        return {
            logger: ConfigEntry(logger, level, DYNAMIC_BROKER_LOGGER_CONFIG, 0, None)
            for logger, level in log_levels.loggers().items()
        }
    if resource_type == GROUP:
        group_configs.check_group_name(name)
        return group_configs.describe(broker.controller.image.group_configs.get(name, {}),
                                      broker.config)
    raise KafkaError(ErrorCode.invalid_request, f"resource type {resource_type} is not supported")


def _config(ctx, request, name: str, entry):
    synonyms = ()
    if request.include_synonyms:
        synonyms = tuple(
            ctx.make("DescribeConfigsSynonym", name=s.name, value=s.value, source=s.source)
            for s in entry.synonyms
        )
    return ctx.make(
        "DescribeConfigsResourceResult",
        name=name,
        value=None if entry.sensitive else entry.value,
        read_only=entry.read_only,
        config_source=entry.source,
        is_default=entry.is_default,
        is_sensitive=entry.sensitive,
        synonyms=synonyms,
        config_type=entry.config_type,
        documentation=entry.documentation
        if getattr(request, "include_documentation", False)
        else None,
    )
