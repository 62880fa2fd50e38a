"""Metadata (key 3), v0-12: brokers, controller, cluster id, topics and partition leaders.

A null topic list (or an empty one at v0) means all topics. Unknown topics are created when
both the broker (auto.create.topics.enable) and the request (v4+) allow it, synchronously,
so the client sees the new topic in this very response.

Authorization (Kafka's KafkaApis): a listing of all topics leaves out those the principal may
not Describe; a named one it may not Describe answers TOPIC_AUTHORIZATION_FAILED whether or
not it exists. Auto-creation needs Create on the cluster or on the topic. Authorized-operation
bitfields are filled in when the request asks (v8+; the cluster's only up to v10).
A topic asked for by a non-zero id (v12+) is looked up by that id whatever its name says
(the Java admin client sends "" as the name, others null), as Kafka ignores names once ids
are given; UNKNOWN_TOPIC_ID if missing.
"""

from __future__ import annotations

import dataclasses
import uuid

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.metadata.controller import INTERNAL_TOPICS
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

AUTHORIZED_OPERATIONS_OMITTED = -2147483648
DESCRIBE, TOPIC = AclOperation.DESCRIBE, ResourceType.TOPIC


@handles(ApiKey.METADATA)
async def handle(ctx, request):
    broker = ctx.broker
    with_ops = getattr(request, "include_topic_authorized_operations", False)
    if request.topics is None or (ctx.version == 0 and not request.topics):
        topics = [
            _topic(ctx, t, with_ops)
            for t in broker.topics()
            if ctx.authorize(DESCRIBE, TOPIC, t.name, audit=False)
        ]
    else:
        allow_create = getattr(request, "allow_auto_topic_creation", True)
        topics = []
        for req_topic in request.topics:
            name = req_topic.name
            topic_id = getattr(req_topic, "topic_id", None)
            if topic_id is not None and topic_id.int != 0:
                # a lookup by id (v12+, KIP-516; KIP-848 consumers resolve their assigned
                # topic ids this way): unknown -> UNKNOWN_TOPIC_ID; not describable ->
                # TOPIC_AUTHORIZATION_FAILED with the id but no name, as Kafka answers (ids
                # are not secret, so the refusal does not hide that the topic exists)
                by_id = broker.topic_by_id(topic_id)
                if by_id is None:
                    unknown = _error_topic(ctx, None, ErrorCode.unknown_topic_id)
                    topics.append(_with_id(unknown, topic_id))
                elif not ctx.authorize(DESCRIBE, TOPIC, by_id.name):
                    refused = _error_topic(ctx, None, ErrorCode.topic_authorization_failed)
                    topics.append(_with_id(refused, topic_id))
                else:
                    topics.append(_topic(ctx, by_id, with_ops))
                continue
            if name is not None and not ctx.authorize(DESCRIBE, TOPIC, name):
                topics.append(_error_topic(ctx, name, ErrorCode.topic_authorization_failed))
                continue
            topic = broker.topic(name) if name is not None else None
            if topic is None and name is not None and allow_create and broker.auto_create_enabled:
                if not (
                    ctx.authorize_cluster(AclOperation.CREATE, audit=False)
                    or ctx.authorize(AclOperation.CREATE, TOPIC, name)
                ):
                    topics.append(_error_topic(ctx, name, ErrorCode.topic_authorization_failed))
                    continue
                try:
                    topic = broker.auto_create_topic(name)
                except KafkaError as e:
                    topics.append(_error_topic(ctx, name, e.code))
                    continue
            if topic is None:
                topics.append(_error_topic(ctx, name, ErrorCode.unknown_topic_or_partition))
            else:
                topics.append(_topic(ctx, topic, with_ops))
    cluster_ops = AUTHORIZED_OPERATIONS_OMITTED
    if 8 <= ctx.version <= 10 and request.include_cluster_authorized_operations:
        cluster_ops = (
            ctx.authorized_operations(ResourceType.CLUSTER)
            if ctx.authorize_cluster(DESCRIBE)
            else 0
        )
    host, port = broker.endpoint(ctx.listener)
    return ctx.respond(
        throttle_time=0,
        brokers=(
            ctx.make(
                "MetadataResponseBroker", node_id=broker.node_id, host=host, port=port, rack=None
            ),
        ),
        cluster_id=broker.cluster_id,
        controller_id=broker.node_id,
        topics=tuple(topics),
        cluster_authorized_operations=cluster_ops,
    )


def _topic(ctx, topic, with_ops: bool):
    partitions = []
    for index in sorted(topic.partitions):
        p = ctx.broker.partition(topic.name, index)
        image = topic.partitions[index]
        partitions.append(
            ctx.make(
                "MetadataResponsePartition",
                error_code=ErrorCode.none if p else ErrorCode.leader_not_available,
                partition_index=index,
                leader_id=image.leader,
                leader_epoch=image.leader_epoch,
                replica_nodes=tuple(image.replicas),
                isr_nodes=tuple(image.isr),
                offline_replicas=(ctx.broker.node_id,)
                if (topic.name, index) in ctx.broker.offline
                else (),
            )
        )
    return ctx.make(
        "MetadataResponseTopic",
        error_code=ErrorCode.none,
        name=topic.name,
        topic_id=topic.topic_id,
        # Kafka's internal topics are its coordinators' alone; "__"-named user topics are not.
        is_internal=topic.name in INTERNAL_TOPICS,
        partitions=tuple(partitions),
        topic_authorized_operations=ctx.authorized_operations(TOPIC, topic.name)
        if with_ops
        else AUTHORIZED_OPERATIONS_OMITTED,
    )


def _with_id(topic, topic_id: uuid.UUID):
    return dataclasses.replace(topic, topic_id=topic_id)


def _error_topic(ctx, name, code):
    return ctx.make(
        "MetadataResponseTopic",
        error_code=code,
        name=name,
        topic_id=uuid.UUID(int=0),
        is_internal=False,
        partitions=(),
        topic_authorized_operations=AUTHORIZED_OPERATIONS_OMITTED,
    )
