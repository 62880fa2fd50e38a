"""ElectLeaders (key 43), v0-2: preferred or unclean leader elections (kafka-leader-election).

v0 elects preferred replicas only; v1 adds the election type and a top-level error code; v2
is flexible. Kafka's answers (the controller's rules in metadata/elections.py): each named
partition gets NONE, ELECTION_NOT_NEEDED (on one node, always), or UNKNOWN_TOPIC_OR_PARTITION;
a null partition list means every partition, answered only where an election was needed.
Alter on the cluster is required; refused, or for an unknown election type, the error goes
at the top and to every named partition, as in Kafka's error response.
"""

from __future__ import annotations

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.metadata.elections import ElectionType, TopicElections
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.ELECT_LEADERS)
async def handle(ctx, request):
    wanted = None
    if request.topic_partitions is not None:
        wanted = [(t.topic, list(t.partitions)) for t in request.topic_partitions]
    try:
        if not ctx.authorize_cluster(AclOperation.ALTER):
            raise KafkaError(ErrorCode.cluster_authorization_failed, "Alter on the cluster denied")
        election = ElectionType.of(getattr(request, "election_type", ElectionType.PREFERRED))
        elections = ctx.broker.controller.elect_leaders(wanted, election)
    except KafkaError as e:
        refused = [TopicElections(t, [(i, e) for i in indexes]) for t, indexes in wanted or ()]
        return _response(ctx, e.code, refused)
    return _response(ctx, ErrorCode.none, elections)


def _response(ctx, code: ErrorCode, elections: list[TopicElections]):
    return ctx.respond(
        throttle_time=0,
        error_code=code,
        replica_election_results=tuple(
            ctx.make(
                "ReplicaElectionResult",
                topic=t.topic,
                partition_result=tuple(
                    ctx.make(
                        "PartitionResult",
                        partition_id=index,
                        error_code=ErrorCode.none if error is None else error.code,
                        error_message=None if error is None else error.message,
                    )
                    for index, error in t.results
                ),
            )
            for t in elections
        ),
    )
