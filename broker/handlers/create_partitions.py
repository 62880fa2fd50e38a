"""CreatePartitions (key 37), v0-3: grow a topic to a new total partition count.

A client may place the new partitions (one broker list each); the controller checks the
placement (here: this broker alone) as Kafka does, rather than ignoring it.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.CREATE_PARTITIONS)
async def handle(ctx, request):
    results = []
    for t in request.topics:
        code, message = ErrorCode.none, None
        try:
            if not ctx.authorize(AclOperation.ALTER, ResourceType.TOPIC, t.name):
                raise KafkaError(ErrorCode.topic_authorization_failed, "Alter denied")
            placed = None if t.assignments is None else [list(a.broker_ids) for a in t.assignments]
            ctx.broker.controller.create_partitions(
                t.name, t.count, assignments=placed, validate_only=request.validate_only
            )
        except KafkaError as e:
            code, message = e.code, e.message
        results.append(
            ctx.make(
                "CreatePartitionsTopicResult", name=t.name, error_code=code, error_message=message
            )
        )
    return ctx.respond(throttle_time=0, results=tuple(results))
