"""DeleteTopics (key 20), v1-6: by name, or by topic id from v6."""

from __future__ import annotations

import uuid

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

ZERO_ID = uuid.UUID(int=0)


@handles(ApiKey.DELETE_TOPICS)
async def handle(ctx, request):
    if ctx.version >= 6:
        wanted = [(t.name, t.topic_id) for t in request.topics]
    else:
        wanted = [(name, None) for name in request.topic_names]
    results = []
    may_delete_any = ctx.authorize_cluster(AclOperation.DELETE, audit=False)

    def may(op: AclOperation, topic: str) -> bool:
        return may_delete_any or ctx.authorize(op, ResourceType.TOPIC, topic)

    for name, topic_id in wanted:
        code, message = ErrorCode.none, None
        try:
            if name is None and (topic_id is None or topic_id == ZERO_ID):
                raise KafkaError(ErrorCode.invalid_request, "neither a topic name nor an id")
            if name is None:
                topic = ctx.broker.topic_by_id(topic_id)
                if topic is None:
                    raise KafkaError(ErrorCode.unknown_topic_id, f"no topic with id {topic_id}")
                name = topic.name
                if not may(AclOperation.DELETE, name):
                    # by id, the name is shown only to who may Describe the topic (Kafka)
                    name = name if may(AclOperation.DESCRIBE, name) else None
                    raise KafkaError(ErrorCode.topic_authorization_failed)
            elif not may(AclOperation.DESCRIBE, name):
                topic_id = None  # whether it exists is not revealed
                raise KafkaError(ErrorCode.topic_authorization_failed)
            topic = ctx.broker.topic(name)
            if topic is None:
                raise KafkaError(ErrorCode.unknown_topic_or_partition, f"no topic named {name}")
            if not may(AclOperation.DELETE, name):
                topic_id = None
                raise KafkaError(ErrorCode.topic_authorization_failed)
            topic_id = topic.topic_id
            ctx.broker.controller.delete_topic(name)
        except KafkaError as e:
            code, message = e.code, e.message
        results.append(
            ctx.make(
                "DeletableTopicResult",
                name=name,
                topic_id=topic_id or ZERO_ID,
                error_code=code,
                error_message=message,
            )
        )
    return ctx.respond(throttle_time=0, responses=tuple(results))
