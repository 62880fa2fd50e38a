"""Fetch (key 1), v4-17: whole stored batches from each partition, with long polling.

The batch containing the requested offset is returned whole (clients skip the records
before their offset). Per-partition and total byte limits are honoured, except that the
first non-empty partition always returns at least one batch (KIP-74), so a batch larger than
the limits cannot stall a consumer. When fewer than min_bytes are ready the request waits up
to max_wait and is woken by the first append to any partition it reads (in a session: any of
the session's partitions, as min_bytes counts what all of them return). A partition the
request may not read or that does not exist does not end the wait early, as in Kafka; an
error reading one does.

Fetch sessions (KIP-227, v7+; the cache is broker/fetch_sessions.py), as Kafka's
FetchManager decides from the request's session id and epoch:
- epoch -1 (FINAL): a full fetch without a session (closing session_id if one is given). The
  hot path: librdkafka, aiokafka and KafkaJS always send session 0 epoch -1.
- epoch 0 (INITIAL): a full fetch that opens a session once answered (closing session_id if
  given); the response carries its id, or 0 when the cache keeps no room for it.
- session X, epoch N (else): incremental. An unknown X is FETCH_SESSION_ID_NOT_FOUND (session
  0 included), another epoch INVALID_FETCH_SESSION_EPOCH, and a request whose version's use
  of topic ids (v13+) differs from the session's FETCH_SESSION_TOPIC_ID_ERROR: top-level
  errors, session id 0, no topics. Otherwise the request's partitions join or update the
  session, its forgotten ones leave it (a session left empty closes: a sessionless answer),
  all of the session's partitions are read, and only those with news are answered. A request
  answered after another one moved the session's epoch on meanwhile gets
  INVALID_FETCH_SESSION_EPOCH with the session's id.
Topic ids (v13+) are resolved to names; an unknown id gets UNKNOWN_TOPIC_ID. A session keeps
the names it resolved: a deleted topic then reads as UNKNOWN_TOPIC_OR_PARTITION, one
recreated under the same name as INCONSISTENT_TOPIC_ID, as in Kafka.
A topic whose compression.type is zstd answers versions below 10 (which predate zstd,
KIP-110) UNSUPPORTED_COMPRESSION_TYPE, as Kafka does.

Isolation: read_uncommitted reads up to the high watermark. read_committed reads up to the
last stable offset (below it every transaction is decided) and lists the aborted
transactions overlapping what it returns, whose records clients drop. A waiting
read_committed fetch is woken by the marker that moves the LSO, as markers are appends.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field

from broker.errors import ErrorCode, KafkaError
from broker.fetch_sessions import (
    FINAL_EPOCH,
    INITIAL_EPOCH,
    INVALID_SESSION_ID,
    ZERO_UUID,
    CachedPartition,
    FetchSession,
    next_epoch,
    partition_key,
)
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation, ResourceType

log = logging.getLogger("broker.fetch_sessions")

READ_COMMITTED = 1
# Found before reading (Kafka's "erroneous" partitions): they do not end a long poll early.
_LOOKUP_ERRORS = frozenset(
    {
        ErrorCode.unknown_topic_or_partition,
        ErrorCode.unknown_topic_id,
        ErrorCode.topic_authorization_failed,
    }
)


@handles(ApiKey.FETCH)
async def handle(ctx, request):
    topics = request.topics
    plan = None
    if ctx.version >= 7 and (
        request.session_epoch != FINAL_EPOCH or request.session_id != INVALID_SESSION_ID
    ):
        plan = _plan(ctx, request)
        if plan is not None:
            if not isinstance(plan, _Plan):
                return plan  # a session error
            topics = plan.topics
    max_wait_s = request.max_wait.total_seconds()
    deadline = time.monotonic() + max_wait_s
    while True:
        read, total, partitions, has_error = _read(ctx, request, topics, plan)
        remaining = deadline - time.monotonic()
        if total >= request.min_bytes or remaining <= 0 or has_error or not partitions:
            if plan is not None:
                return plan.respond(ctx, request, read)
            return _answer(ctx, _responses(ctx, request, topics, read))
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


def _read(ctx, request, topics, plan):
    """Per topic read, its name and each partition's (error code, high watermark, last
    stable offset, log start, data, aborted transactions or None).

    Plain tuples: a fetch that finds no data and waits builds no response objects.
    """
    broker = ctx.broker
    by_id = ctx.version >= 13
    # an incremental fetch reads its session's partitions, named when they joined
    from_session = plan is not None and plan.incremental
    committed = request.isolation_level == READ_COMMITTED
    bytes_left = request.max_bytes
    total = 0
    has_error = False
    partitions = []
    read = []
    # Consumers need Read on each topic; a follower (replica id >= 0) ClusterAction.
    follower = _replica_id(request) >= 0
    replicating = follower and ctx.authorize_cluster(AclOperation.CLUSTER_ACTION)
    for ft in topics:
        expected_id = None
        if from_session:
            name = ft.topic
            if by_id:
                expected_id = ft.topic_id
        elif by_id:
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
                if expected_id is not None and partition.topic_id != expected_id:
                    raise KafkaError(ErrorCode.inconsistent_topic_id)
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
                if code not in _LOOKUP_ERRORS:
                    has_error = True
            total += len(data)
            bytes_left -= len(data)
            found.append((code, hw, lso, log_start, data, aborted))
    return read, total, partitions, has_error


def _responses(ctx, request, topics, read):
    """The response's topics, from what _read found (in the order read)."""
    by_id = ctx.version >= 13
    committed = request.isolation_level == READ_COMMITTED
    responses = []
    for ft, (name, found) in zip(topics, read, strict=True):
        parts = []
        for fp, item in zip(ft.partitions, found, strict=True):
            parts.append(_partition_data(ctx, fp.partition, item, committed))
        responses.append(
            ctx.make(
                "FetchableTopicResponse",
                topic=name,
                topic_id=ft.topic_id if by_id else ZERO_UUID,
                partitions=tuple(parts),
            )
        )
    return tuple(responses)


def _partition_data(ctx, index, item, committed):
    code, hw, lso, log_start, data, aborted = item
    return ctx.make(
        "PartitionData",
        partition_index=index,
        error_code=code,
        high_watermark=hw,
        last_stable_offset=lso,
        log_start_offset=log_start,
        aborted_transactions=_aborted(ctx, aborted) if committed else None,
        preferred_read_replica=-1,
        records=data,
    )


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


# --- sessions ---------------------------------------------------------------------------------


class _Plan:
    """How a Fetch that names a session (or asks for one) is read and answered."""

    incremental = False

    def respond(self, ctx, request, read):
        raise NotImplementedError


@dataclass(slots=True)
class _SessionTopic:
    """Consecutive partitions of one topic in a session's fetch order, read as a request
    topic is."""

    topic: str | None
    topic_id: uuid.UUID
    partitions: list[CachedPartition] = field(default_factory=list)


@dataclass(slots=True)
class _Full(_Plan):
    """A full fetch (epoch 0) that opens a session with what it answers."""

    topics: object

    def respond(self, ctx, request, read):
        by_id = ctx.version >= 13
        size = sum(len(ft.partitions) for ft in self.topics)

        def partitions():
            cached = {}
            for ft, (name, found) in zip(self.topics, read, strict=True):
                topic_id = ft.topic_id if by_id else ZERO_UUID
                for fp, (code, hw, _lso, log_start, _data, _aborted) in zip(
                    ft.partitions, found, strict=True
                ):
                    part = CachedPartition.of(name, topic_id, fp)
                    part.high_watermark = -1 if code else hw
                    part.local_log_start_offset = log_start
                    cached[partition_key(by_id, name, topic_id, fp.partition)] = part
            return cached

        session = ctx.broker.fetch_sessions.create(
            _replica_id(request) >= 0, by_id, partitions, size
        )
        return _answer(
            ctx,
            _responses(ctx, request, self.topics, read),
            session.id if session is not None else INVALID_SESSION_ID,
        )


@dataclass(slots=True)
class _Incremental(_Plan):
    """An incremental fetch: reads the whole session, answers the partitions with news."""

    session: FetchSession
    epoch: int  # the session's epoch once this request was accepted
    topics: list[_SessionTopic]
    incremental = True

    def respond(self, ctx, request, read):
        session = self.session
        if session.epoch != self.epoch:
            log.info(
                "fetch session %d is at epoch %d, not %d: a duplicate request?",
                session.id,
                session.epoch,
                self.epoch,
            )
            return _session_error(ctx, ErrorCode.invalid_fetch_session_epoch, session.id)
        by_id = ctx.version >= 13
        committed = request.isolation_level == READ_COMMITTED
        answered = []  # [name, topic id, [PartitionData]] per run of one topic
        with_records = []
        for group, (name, found) in zip(self.topics, read, strict=True):
            for part, item in zip(group.partitions, found, strict=True):
                code, hw, _lso, log_start, data, _aborted = item
                if not part.has_news(code, hw, log_start, bool(data)):
                    continue
                if data:
                    with_records.append(part)
                if not answered or answered[-1][:2] != [name, group.topic_id]:
                    answered.append([name, group.topic_id, []])
                answered[-1][2].append(_partition_data(ctx, part.partition, item, committed))
        for part in with_records:
            session.moved_to_end(part)
        responses = tuple(
            ctx.make(
                "FetchableTopicResponse",
                topic=name,
                topic_id=topic_id if by_id else ZERO_UUID,
                partitions=tuple(parts),
            )
            for name, topic_id, parts in answered
        )
        return _answer(ctx, responses, session.id)


def _plan(ctx, request):
    """Kafka's FetchManager.newContext: None for a sessionless fetch, a _Plan, or the
    response to a request naming no usable session."""
    sessions = ctx.broker.fetch_sessions
    session_id, epoch = request.session_id, request.session_epoch
    if epoch in (INITIAL_EPOCH, FINAL_EPOCH):
        if session_id != INVALID_SESSION_ID and sessions.remove(session_id) is not None:
            log.debug("closed fetch session %d", session_id)
        return _Full(request.topics) if epoch == INITIAL_EPOCH else None
    session = sessions.get(session_id)
    if session is None:
        log.debug("no fetch session %d", session_id)
        return _session_error(ctx, ErrorCode.fetch_session_id_not_found)
    if session.epoch != epoch:
        log.debug("fetch session %d expects epoch %d, not %d", session_id, session.epoch, epoch)
        return _session_error(ctx, ErrorCode.invalid_fetch_session_epoch)
    by_id = ctx.version >= 13
    if session.uses_topic_ids != by_id:
        log.debug("fetch session %d: v%d mixes topic names and ids", session_id, ctx.version)
        return _session_error(ctx, ErrorCode.fetch_session_topic_id_error)
    added, updated, removed = session.update(
        _requested(ctx, request, by_id), _forgotten(ctx, request, by_id)
    )
    if not session.partitions:
        sessions.remove(session_id)
        log.debug("closed fetch session %d: its last partitions were forgotten", session_id)
        return None
    sessions.touch(session)
    session.epoch = next_epoch(session.epoch)
    if by_id:
        session.resolve(lambda topic_id: _name_of(ctx, topic_id))
    log.debug(
        "incremental fetch in session %d (epoch %d): %d added, %d updated, %d removed, %d in all",
        session_id,
        epoch,
        added,
        updated,
        removed,
        len(session.partitions),
    )
    topics = []
    last = None
    for part in session.partitions.values():
        if last is None or part.topic_id != last.topic_id or part.topic != last.topic:
            last = _SessionTopic(part.topic, part.topic_id)
            topics.append(last)
        last.partitions.append(part)
    return _Incremental(session, session.epoch, topics)


def _requested(ctx, request, by_id):
    for ft in request.topics:
        if by_id:
            name = _name_of(ctx, ft.topic_id)
            for fp in ft.partitions:
                yield name, ft.topic_id, fp
        else:
            for fp in ft.partitions:
                yield ft.topic, ZERO_UUID, fp


def _forgotten(ctx, request, by_id):
    for ft in request.forgotten_topics_data:
        topic_id = ft.topic_id if by_id else ZERO_UUID
        name = None if by_id else ft.topic
        for index in ft.partitions:
            yield name, topic_id, index


def _name_of(ctx, topic_id):
    topic = ctx.broker.topic_by_id(topic_id)
    return topic.name if topic is not None else None


def _answer(ctx, responses, session_id=INVALID_SESSION_ID, code=ErrorCode.none):
    return ctx.respond(
        throttle_time=0,
        error_code=code,
        session_id=session_id,
        responses=responses,
        node_endpoints=(),
    )


def _session_error(ctx, code, session_id=INVALID_SESSION_ID):
    return _answer(ctx, (), session_id, code)
