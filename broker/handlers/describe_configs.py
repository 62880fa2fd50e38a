"""DescribeConfigs (key 32), v1-4: topic and broker configs with their sources.

Each entry reports its value and where it came from (topic override, dynamic broker config,
static broker config, default); v1+ lists synonyms on request (the topic key, then the broker
key it defaults to), v3+ the type and v3+ documentation.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.config_resources import BROKER, TOPIC, authorize_config
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
                if keys is None or name in keys
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
