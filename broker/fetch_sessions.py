"""Incremental fetch sessions (KIP-227): what the broker remembers of a fetcher between Fetches.

A session holds the partitions a fetcher reads with each one's request parameters (fetch
offset, max bytes, leader epochs, the follower's log start) and what the fetcher was last told
(high watermark, log start offset). An incremental Fetch then names only the partitions whose
parameters changed (and those to forget), and its response lists only partitions with news:
records, a changed high watermark or log start offset, or an error. Kafka compares no last
stable offset either: here it only moves with an append (the high watermark moves too) or with
the log start offset.

Epochs: a fetcher sends epoch 0 (INITIAL) with a full request to open a session, whose first
incremental request carries epoch 1; each accepted incremental request moves the session's
epoch on by one (after INT32_MAX comes 1). Epoch -1 (FINAL) is a sessionless full fetch.

The cache is bounded (max.incremental.fetch.session.cache.slots). When it is full a new
session takes the place of one, as Kafka chooses: the least recently used session if it has
been idle longer than the eviction time; otherwise the least valuable evictable session, if
the new one is worth more: a follower's (privileged) session beats a consumer's, and a larger
session beats a smaller one. A session becomes evictable this way once it has lived longer than
the eviction time (as of its last use); a consumer's session may always be evicted for a
follower's. Nothing expires by a timer: an idle session only gives way to a new one.

Sessions belong to no connection: a fetcher may reconnect and go on with its session. Kafka
shards the cache in 8 locked shards for its request threads; one event loop needs no shards.

This module knows no protocol classes: partitions come in as objects with the Fetch request's
partition field names (partition, fetch_offset, partition_max_bytes, ...).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("broker.fetch_sessions")

INVALID_SESSION_ID = 0
INITIAL_EPOCH = 0
FINAL_EPOCH = -1
_INT32_MAX = 2**31 - 1
ZERO_UUID = uuid.UUID(int=0)

# A partition's key in its session: (topic id, index) when the session uses topic ids
# (Fetch v13+), (topic name, index) otherwise.
PartitionKey = tuple[Any, int]


def partition_key(
    uses_topic_ids: bool, topic: str | None, topic_id: uuid.UUID, index: int
) -> PartitionKey:
    return (topic_id, index) if uses_topic_ids else (topic, index)


def next_epoch(epoch: int) -> int:
    """The epoch that follows ``epoch`` in a session (Kafka's FetchMetadata.nextEpoch)."""
    if epoch < 0:
        return FINAL_EPOCH
    return 1 if epoch == _INT32_MAX else epoch + 1


@dataclass(slots=True, eq=False)
class CachedPartition:
    """One partition of a session: the fetcher's last request parameters, and what it was last
    told. Its request fields carry the Fetch request's names, so the read path takes it in
    place of a request partition."""

    topic: str | None  # None while a topic id is unknown to this broker
    topic_id: uuid.UUID  # the zero UUID in sessions that use names
    partition: int
    fetch_offset: int
    partition_max_bytes: int
    log_start_offset: int  # the follower's log start (-1 from consumers)
    current_leader_epoch: int
    last_fetched_epoch: int
    high_watermark: int = -1  # last sent; -1 after an error so the next good answer is sent
    local_log_start_offset: int = -1  # this broker's log start, last sent

    @classmethod
    def of(cls, topic: str | None, topic_id: uuid.UUID, fp: Any) -> CachedPartition:
        """From a request partition (fields missing in older versions are -1)."""
        return cls(
            topic,
            topic_id,
            fp.partition,
            fp.fetch_offset,
            fp.partition_max_bytes,
            getattr(fp, "log_start_offset", -1),
            getattr(fp, "current_leader_epoch", -1),
            getattr(fp, "last_fetched_epoch", -1),
        )

    def update_request(self, fp: Any) -> None:
        self.fetch_offset = fp.fetch_offset
        self.partition_max_bytes = fp.partition_max_bytes
        self.log_start_offset = getattr(fp, "log_start_offset", -1)
        self.current_leader_epoch = getattr(fp, "current_leader_epoch", -1)
        self.last_fetched_epoch = getattr(fp, "last_fetched_epoch", -1)

    def has_news(self, error: int, high_watermark: int, log_start: int, records: bool) -> bool:
        """Whether an incremental response must list this partition, remembering what it
        tells. (This broker sends no diverging epoch and no preferred read replica, which
        Kafka also always lists.)"""
        news = records
        if self.high_watermark != high_watermark:
            self.high_watermark = high_watermark
            news = True
        if self.local_log_start_offset != log_start:
            self.local_log_start_offset = log_start
            news = True
        if error:
            self.high_watermark = -1  # so the partition is listed again once the error is gone
            news = True
        return news


@dataclass(eq=False)
class FetchSession:
    id: int
    privileged: bool  # a follower's session (replica id >= 0)
    uses_topic_ids: bool  # opened by a Fetch v13+; v12- requests may not continue it
    # in fetch order: partitions that return records move to the end, so those behind them
    # get their turn at the response's byte limit
    partitions: dict[PartitionKey, CachedPartition]
    created_ms: float
    last_used_ms: float
    epoch: int = 1  # the epoch the next incremental request must carry
    # as of the last use (Kafka decides these when it touches a session)
    size: int = 0
    evictable_by_all: bool = False
    evictable_by_privileged: bool = False

    def key(self, topic: str | None, topic_id: uuid.UUID, index: int) -> PartitionKey:
        return partition_key(self.uses_topic_ids, topic, topic_id, index)

    def update(
        self,
        requested: Iterable[tuple[str | None, uuid.UUID, Any]],
        forgotten: Iterable[tuple[str | None, uuid.UUID, int]],
    ) -> tuple[int, int, int]:
        """Apply an incremental request: add or update its partitions ((name, id, request
        partition) each), then remove the forgotten ((name, id, index) each). Returns the
        numbers added, updated and removed."""
        added = updated = removed = 0
        partitions = self.partitions
        for topic, topic_id, fp in requested:
            cached = partitions.get(self.key(topic, topic_id, fp.partition))
            if cached is None:
                part = CachedPartition.of(topic, topic_id, fp)
                partitions[self.key(topic, topic_id, fp.partition)] = part
                added += 1
            else:
                cached.update_request(fp)
                updated += 1
        for topic, topic_id, index in forgotten:
            if partitions.pop(self.key(topic, topic_id, index), None) is not None:
                removed += 1
        return added, updated, removed

    def resolve(self, names: Callable[[uuid.UUID], str | None]) -> None:
        """Name the partitions whose topic id was unknown when they joined, if it is known now.
        A name once known stays: if its topic goes, the partition reads as unknown (or as an
        inconsistent id, should a topic of that name come back with another id), as in Kafka."""
        for part in self.partitions.values():
            if part.topic is None:
                part.topic = names(part.topic_id)

    def forget_sent(self) -> None:
        """The last answer never reached the fetcher (a throttled Fetch is sent empty): list
        every partition in the next one, as if nothing had been told."""
        for part in self.partitions.values():
            part.high_watermark = part.local_log_start_offset = -1

    def moved_to_end(self, part: CachedPartition) -> None:
        key = self.key(part.topic, part.topic_id, part.partition)
        self.partitions[key] = self.partitions.pop(key)


@dataclass
class FetchSessionCache:
    """The broker's sessions, at most ``max_entries``; see the module docstring for eviction."""

    max_entries: int
    eviction_ms: float
    clock: Callable[[], float] = field(default=lambda: time.monotonic() * 1000)
    evictions: int = 0
    # least recently used first (a use moves a session to the end)
    _sessions: dict[int, FetchSession] = field(default_factory=dict)
    _partitions: int = 0  # cached partitions, as of each session's last use

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def total_partitions(self) -> int:
        """Kafka's NumIncrementalFetchPartitionsCached."""
        return self._partitions

    def get(self, session_id: int) -> FetchSession | None:
        return self._sessions.get(session_id)

    def remove(self, session_id: int) -> FetchSession | None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._partitions -= session.size
        return session

    def create(
        self,
        privileged: bool,
        uses_topic_ids: bool,
        partitions: Callable[[], dict[PartitionKey, CachedPartition]],
        size: int,
    ) -> FetchSession | None:
        """A new session of ``size`` partitions (built by ``partitions`` if there is room),
        or None when the cache is full of sessions worth keeping."""
        now = self.clock()
        if len(self._sessions) >= self.max_entries and not self._evict_for(privileged, size, now):
            log.debug("no fetch session created for privileged=%s, size=%d", privileged, size)
            return None
        session = FetchSession(
            self._new_id(), privileged, uses_topic_ids, partitions(), now, now, next_epoch(0)
        )
        self._sessions[session.id] = session
        self.touch(session, now)
        log.debug("created fetch session %d with %d partition(s)", session.id, session.size)
        return session

    def touch(self, session: FetchSession, now: float | None = None) -> None:
        """Mark a session used now; its size and evictability are re-assessed."""
        if now is None:
            now = self.clock()
        sessions = self._sessions
        sessions[session.id] = sessions.pop(session.id)
        session.last_used_ms = now
        self._partitions += len(session.partitions) - session.size
        session.size = len(session.partitions)
        old = now - session.created_ms > self.eviction_ms
        session.evictable_by_all = old
        session.evictable_by_privileged = old or not session.privileged

    def _new_id(self) -> int:
        while True:
            session_id = random.randint(1, _INT32_MAX)
            if session_id not in self._sessions:
                return session_id

    def _evict_for(self, privileged: bool, size: int, now: float) -> bool:
        """Make room for a new session, if one may give way to it."""
        lru = next(iter(self._sessions.values()), None)
        if lru is None:
            return False
        if now - lru.last_used_ms > self.eviction_ms:
            victim = lru
            log.debug("evicting fetch session %d, idle for %.0f ms", lru.id, now - lru.last_used_ms)
        else:
            # Ranked as Kafka ranks them: consumers' before followers', then smaller first, then
            # by id. The scan is linear, and only runs when the cache is full.
            candidates = [
                s
                for s in self._sessions.values()
                if (s.evictable_by_privileged if privileged else s.evictable_by_all)
            ]
            if not candidates:
                return False
            victim = min(candidates, key=_rank)
            if (privileged, size, 0) < _rank(victim):
                return False
            log.debug("evicting fetch session %d for a new one of %d partition(s)", victim.id, size)
        self.remove(victim.id)
        self.evictions += 1
        return True


def _rank(session: FetchSession) -> tuple[bool, int, int]:
    return (session.privileged, session.size, session.id)
