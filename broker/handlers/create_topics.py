"""CreateTopics (key 19), v2-7: validated by the controller, committed to the metadata log.

v5+ returns the new topic's configs, partition count and replication factor; v7+ its id.
"""

from __future__ import annotations

import uuid

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.metadata.topic_config import effective_topic_config
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

TOPIC = ResourceType.TOPIC


@handles(ApiKey.CREATE_TOPICS)
async def handle(ctx, request):
    results = []
    seen: set[str] = set()
    may_create_any = ctx.authorize_cluster(AclOperation.CREATE, audit=False)
    for t in request.topics:
        if t.name in seen:
            results.append(
                _result(
                    ctx,
                    t.name,
                    code=ErrorCode.invalid_request,
                    message=f"topic {t.name} appears twice in the request",
                )
            )
            continue
        seen.add(t.name)
        if not (may_create_any or ctx.authorize(AclOperation.CREATE, TOPIC, t.name)):
            results.append(
                _result(
                    ctx,
                    t.name,
                    code=ErrorCode.topic_authorization_failed,
                    message="Authorization failed.",
                )
            )
            continue
        try:
            assignments = {a.partition_index: list(a.broker_ids) for a in t.assignments} or None
            topic = ctx.broker.controller.create_topic(
                t.name,
                t.num_partitions,
                t.replication_factor,
                {c.name: c.value for c in t.configs},
                assignments=assignments,
                validate_only=request.validate_only,
            )
        except KafkaError as e:
            results.append(_result(ctx, t.name, code=e.code, message=e.message))
            continue
        if not ctx.authorize(AclOperation.DESCRIBE_CONFIGS, TOPIC, t.name, audit=False):
            # created, but its configs (and sizes) are not for this principal's eyes (Kafka)
            results.append(
                _result(
                    ctx,
                    t.name,
                    topic_id=topic.topic_id,
                    configs=(),
                    config_code=ErrorCode.topic_authorization_failed,
                )
            )
            continue
        configs = (
            ()
            if ctx.version < 5
            else tuple(  # v5+ echoes the configs
                ctx.make(
                    "CreatableTopicConfigs",
                    name=name,
                    value=entry.value,
                    read_only=entry.read_only,
                    config_source=entry.source,
                    is_sensitive=entry.sensitive,
                )
                for name, entry in sorted(
                    effective_topic_config(topic.configs, ctx.broker.config).items()
                )
            )
        )
        results.append(
            _result(
                ctx,
                t.name,
                topic_id=topic.topic_id,
                num_partitions=len(topic.partitions),
                replication_factor=len(topic.partitions[0].replicas),
                configs=configs,
            )
        )
    return ctx.respond(throttle_time=0, topics=tuple(results))


def _result(
    ctx,
    name,
    *,
    code=ErrorCode.none,
    message=None,
    topic_id=None,
    num_partitions=-1,
    replication_factor=-1,
    configs=None,
    config_code=ErrorCode.none,
):
    return ctx.make(
        "CreatableTopicResult",
        name=name,
        topic_id=topic_id or uuid.UUID(int=0),
        error_code=code,
        error_message=message,
        topic_config_error_code=config_code,
        num_partitions=num_partitions,
        replication_factor=replication_factor,
        configs=configs,
    )
