"""OffsetCommit (key 8), v2-9: store a group's committed offsets (with metadata, leader epoch).

Generation -1 with no member id is a simple (assign-only) consumer's commit, as in Kafka.
For a consumer group (KIP-848) the generation is the member epoch (STALE_MEMBER_EPOCH if it
is not the member's), and its members must use v9+ (UNSUPPORTED_VERSION otherwise).
Partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION and are not stored.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers._group_util import commit_response_topics, offsets_to_commit
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType


@handles(ApiKey.OFFSET_COMMIT)
async def handle(ctx, request):
    # Read on the group, then Read on each topic (Kafka's order)
    group_ok = ctx.authorize(AclOperation.READ, ResourceType.GROUP, request.group_id)
    refusal = None if group_ok else ErrorCode.group_authorization_failed
    wanted, codes = offsets_to_commit(ctx, request, refusal)
    if wanted:
        codes.update(
            ctx.broker.groups.commit_offsets(
                request.group_id,
                request.generation_id_or_member_epoch,
                request.member_id,
                getattr(request, "group_instance_id", None),
                wanted,
                api_version=ctx.version,
            )
        )
    topics = commit_response_topics(ctx, request, codes, "OffsetCommit")
    return ctx.respond(throttle_time=0, topics=topics)
