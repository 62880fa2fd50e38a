"""Fetch (key 1), v4-17: whole stored batches from each partition, with long polling.

The batch containing the requested offset is returned whole (clients skip the records
before their offset). Per-partition and total byte limits are honoured, except that the
first non-empty partition always returns at least one batch (KIP-74), so a batch larger than
the limits cannot stall a consumer. When fewer than min_bytes are ready the request waits up
to max_wait and is woken by the first append to any partition it reads.

Fetch sessions (KIP-227, v7+): this broker creates none; it answers session id 0, which
clients treat as "send full requests", and rejects incremental requests for unknown sessions.
Topic ids (v13+) are resolved to names; an unknown id gets UNKNOWN_TOPIC_ID.
A topic whose compression.type is zstd answers versions below 10 (which predate zstd,
KIP-110) UNSUPPORTED_COMPRESSION_TYPE, as Kafka does.

Isolation: read_uncommitted reads up to the high watermark. read_committed reads up to the
last stable offset (below it every transaction is decided) and lists the aborted
transactions overlapping what it returns, whose records clients drop. A waiting
read_committed fetch is woken by the marker that moves the LSO, as markers are appends.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

READ_COMMITTED = 1


@handles(ApiKey.FETCH)
async def handle(ctx, request):
    if ctx.version >= 7 and request.session_id != 0 and request.session_epoch > 0:
        return ctx.respond(
            throttle_time=0,
            error_code=ErrorCode.fetch_session_id_not_found,
            session_id=0,
            responses=(),
            node_endpoints=(),
        )
    max_wait_s = request.max_wait.total_seconds()
    deadline = time.monotonic() + max_wait_s
    while True:
        read, total, partitions, has_error = _read(ctx, request)
        remaining = deadline - time.monotonic()
        if total >= request.min_bytes or remaining <= 0 or has_error or not partitions:
            return ctx.respond(
                throttle_time=0,
                error_code=ErrorCode.none,
                session_id=0,
                responses=_responses(ctx, request, read),
                node_endpoints=(),
            )
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        for p in partitions:
            p.waiters.add(waiter)
        timer = loop.call_later(remaining, _expire, waiter)  # half of wait_for's cost
        try:
            await waiter
        finally:
            timer.cancel()
            for p in partitions:
                p.waiters.discard(waiter)


def _expire(waiter):
    if not waiter.done():
        waiter.set_result(None)


def _read(ctx, request):
    """Per requested topic, its name and each partition's (error code, high watermark, last
    stable offset, log start, data, aborted transactions or None).

    Plain tuples: a fetch that finds no data and waits builds no response objects.
    """
    broker = ctx.broker
    by_id = ctx.version >= 13
    committed = request.isolation_level == READ_COMMITTED
    bytes_left = request.max_bytes
    total = 0
    has_error = False
    partitions = []
    read = []
    # Consumers need Read on each topic; a follower (replica id >= 0) ClusterAction.
    follower = _replica_id(request) >= 0
    replicating = follower and ctx.authorize_cluster(AclOperation.CLUSTER_ACTION)
    for ft in request.topics:
        if by_id:
            topic = broker.topic_by_id(ft.topic_id)
            name = topic.name if topic else None
        else:
            name = ft.topic
        readable = replicating or (
            not follower
            and name is not None
            and ctx.authorize(AclOperation.READ, ResourceType.TOPIC, name)
        )
        found = []
        read.append((name, found))
        for fp in ft.partitions:
            code = ErrorCode.none
            hw = lso = log_start = -1
            data = b""
            aborted = None
            partition = broker.partition(name, fp.partition) if name is not None else None
            try:
                if name is not None and not readable:
                    raise KafkaError(ErrorCode.topic_authorization_failed)
                if partition is None:
                    if name is None:
                        raise KafkaError(
                            ErrorCode.unknown_topic_id
                            if by_id
                            else ErrorCode.unknown_topic_or_partition
                        )
                    raise broker.missing_partition(name, fp.partition)
                partition.check_leader_epoch(getattr(fp, "current_leader_epoch", -1))
                if ctx.version < 10 and partition.settings.stores_zstd:
                    raise KafkaError(ErrorCode.unsupported_compression_type)
                hw = partition.high_watermark
                lso = partition.last_stable_offset
                log_start = partition.log_start_offset
                limit = min(fp.partition_max_bytes, bytes_left)
                if limit > 0 or total == 0:
                    if committed:
                        data, aborted = partition.read_committed(
                            fp.fetch_offset, max(limit, 0), min_one=total == 0
                        )
                    else:
                        data = partition.read(fp.fetch_offset, max(limit, 0), min_one=total == 0)
                partitions.append(partition)
            except KafkaError as e:
                code = e.code
                has_error = True
            total += len(data)
            bytes_left -= len(data)
            found.append((code, hw, lso, log_start, data, aborted))
    return read, total, partitions, has_error


def _responses(ctx, request, read):
    """The response's topics, from what _read found (in request order)."""
    by_id = ctx.version >= 13
    committed = request.isolation_level == READ_COMMITTED
    responses = []
    for ft, (name, found) in zip(request.topics, read, strict=True):
        parts = []
        for fp, (code, hw, lso, log_start, data, aborted) in zip(
            ft.partitions, found, strict=True
        ):
            parts.append(
                ctx.make(
                    "PartitionData",
                    partition_index=fp.partition,
                    error_code=code,
                    high_watermark=hw,
                    last_stable_offset=lso,
                    log_start_offset=log_start,
                    aborted_transactions=_aborted(ctx, aborted) if committed else None,
                    preferred_read_replica=-1,
                    records=data,
                )
            )
        responses.append(
            ctx.make(
                "FetchableTopicResponse",
                topic=name,
                topic_id=ft.topic_id if by_id else uuid.UUID(int=0),
                partitions=tuple(parts),
            )
        )
    return tuple(responses)


def _aborted(ctx, aborted) -> tuple:
    if not aborted:
        return ()
    return tuple(
        ctx.make("AbortedTransaction", producer_id=a.producer_id, first_offset=a.first_offset)
        for a in aborted
    )


def _replica_id(request) -> int:
    state = getattr(request, "replica_state", None)  # v15+
    return state.replica_id if state is not None else getattr(request, "replica_id", -1)
