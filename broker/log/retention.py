"""Retention: deleting whole closed segments of logs past ``retention.ms`` or ``retention.bytes``.

The policy is Kafka's (``UnifiedLog.deleteOldSegments``), applied to the oldest segments first
and stopping at the first one that must stay, so what is deleted is always a prefix of the log:

- by time: a closed segment goes when ``now - largest timestamp > retention.ms``, the largest
  timestamp being the segment's max record timestamp, or its file's mtime when no batch carries
  one. ``retention.ms = -1`` keeps forever.
- by size: the oldest segment goes while the log size minus its size stays >= ``retention.bytes``
  (so the log never drops below the limit). ``-1`` is unlimited.

The active segment is never deleted. Deleting means ``Log.delete_records_before(base offset of
the first kept segment)``: the log start offset moves (and is checkpointed) before the files go,
so ListOffsets(earliest) and fetches below it (OFFSET_OUT_OF_RANGE) see the new start.

Why a deletion never pulls data from under a read: the broker has one event loop, a fetch reads
its bytes synchronously (``pread`` into a new ``bytes``) inside one handler step, and retention
runs in its own steps between them, so no read holds a segment across a deletion. The cleaner
reads through its own descriptors, which stay readable after an unlink on POSIX, and does not
swap in a segment that retention removed meanwhile (``Log.replace_segments`` checks).

Only topics whose ``cleanup.policy`` contains ``delete`` are retained. Topic configs are read at
each pass, so an (Incremental)AlterConfigs change applies from the next pass on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from broker.log.log import Log
from broker.log.manager import LogManager, TopicPartition
from broker.log.segment import LogSegment, now_ms

log = logging.getLogger("broker.log.retention")

# Segments deleted per step of the task before it yields to the event loop: an unlink costs
# ~0.3 ms on a journaled disk (3 files per segment), so 20 keep a step near 20 ms.
DELETE_CHUNK = 20


class RetainedSegment(Protocol):
    """What the policy reads of a segment (SegmentInfo, or a live segment's view)."""

    @property
    def size_bytes(self) -> int: ...

    @property
    def max_timestamp(self) -> int: ...

    @property
    def last_modified_ms(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    retention_ms: int = -1  # -1: keep forever
    retention_bytes: int = -1  # -1: unlimited

    @classmethod
    def from_topic_config(cls, cfg: dict[str, str | None]) -> RetentionPolicy | None:
        """The policy for a topic's effective configs; None unless cleanup.policy has delete."""
        policy = {p.strip() for p in (cfg.get("cleanup.policy") or "").split(",")}
        if "delete" not in policy:
            return None
        return cls(
            retention_ms=int(cfg.get("retention.ms") or -1),
            retention_bytes=int(cfg.get("retention.bytes") or -1),
        )

    @property
    def unlimited(self) -> bool:
        return self.retention_ms < 0 and self.retention_bytes < 0


def largest_timestamp(seg: RetainedSegment) -> int:
    """Kafka's segment age reference: max record timestamp, else (-1) the file's mtime."""
    ts = seg.max_timestamp
    return ts if ts >= 0 else seg.last_modified_ms


def deletable_count(
    closed: Sequence[RetainedSegment], log_size: int, policy: RetentionPolicy, now: int
) -> tuple[int, str]:
    """How many of the oldest ``closed`` segments to delete, and why ("time", "size" or "").

    ``closed`` excludes the active segment; ``log_size`` is the size of the whole log (the
    active segment included), as Kafka counts it. Timestamps are only read for the prefix
    examined, which keeps a pass cheap on logs with many segments.
    """
    by_time = 0
    if policy.retention_ms >= 0:
        for seg in closed:
            if now - largest_timestamp(seg) <= policy.retention_ms:
                break
            by_time += 1
    by_size = 0
    if policy.retention_bytes >= 0:
        excess = log_size - policy.retention_bytes
        for seg in closed:
            if excess - seg.size_bytes < 0:
                break
            excess -= seg.size_bytes
            by_size += 1
    if by_time == 0 and by_size == 0:
        return 0, ""
    return (by_time, "time") if by_time >= by_size else (by_size, "size")


class _LiveSegment:
    """A LogSegment seen through RetainedSegment, reading its statistics only when asked."""

    __slots__ = ("_seg",)

    def __init__(self, seg: LogSegment) -> None:
        self._seg = seg

    @property
    def size_bytes(self) -> int:
        return self._seg.size

    @property
    def max_timestamp(self) -> int:
        return self._seg.max_timestamp

    @property
    def last_modified_ms(self) -> int:
        return self._seg.last_modified_ms


@dataclass(frozen=True, slots=True)
class RetentionResult:
    segments_deleted: int
    bytes_deleted: int
    log_start_offset: int
    reason: str  # "time" or "size"


def apply_retention(
    lg: Log, policy: RetentionPolicy, now: int, *, max_segments: int | None = None
) -> RetentionResult | None:
    """Delete the segments of ``lg`` that ``policy`` no longer keeps (at most
    ``max_segments`` of them, the oldest); None if none."""
    if policy.unlimited:
        return None
    closed = lg.closed_segments()
    if not closed:
        return None
    n, reason = deletable_count([_LiveSegment(s) for s in closed], lg.size_bytes, policy, now)
    if max_segments is not None:
        n = min(n, max_segments)
    if n == 0:
        return None
    deleted_bytes = sum(seg.size for seg in closed[:n])
    # The next segment starts where the last deleted one ends (rolls and the loader keep
    # segments contiguous in offsets, gaps inside them notwithstanding).
    start = lg.delete_records_before(closed[n - 1].next_offset)
    return RetentionResult(n, deleted_bytes, start, reason)


@dataclass(slots=True)
class RetentionStats:
    """Counters for /metrics (monotonic except the last-pass figures)."""

    passes: int = 0
    segments_deleted: int = 0
    bytes_deleted: int = 0
    errors: int = 0
    last_pass_duration_ms: float = 0.0
    last_pass_logs: int = 0


class RetentionTask:
    """Runs retention over every log every ``interval_ms``, as one asyncio task.

    ``logs`` holds the current logs; ``policy_for(topic)`` the topic's policy (None: not
    retained), read once per topic per pass. ``on_deleted`` lets the broker count per partition.
    """

    def __init__(
        self,
        logs: LogManager,
        policy_for: Callable[[str], RetentionPolicy | None],
        interval_ms: int,
        *,
        on_deleted: Callable[[TopicPartition, RetentionResult], None] | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._logs = logs
        self._policy_for = policy_for
        self.interval_ms = interval_ms
        self._on_deleted = on_deleted
        self._clock = clock
        self.stats = RetentionStats()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_ms / 1000)
            try:
                await self.run_pass()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats.errors += 1
                log.exception("retention pass failed")

    async def run_pass(self) -> int:
        """One pass over all logs, yielding to the loop between partitions; segments deleted."""
        started = time.perf_counter()
        policies: dict[str, RetentionPolicy | None] = {}
        deleted = 0
        snapshot = list(self._logs.logs().items())
        for key, lg in snapshot:
            topic = key[0]
            if topic not in policies:
                policies[topic] = self._policy_for(topic)
            policy = policies[topic]
            if policy is None:
                continue
            deleted += await self._retain(key, lg, policy)
            await asyncio.sleep(0)
        self.stats.passes += 1
        self.stats.last_pass_logs = len(snapshot)
        self.stats.last_pass_duration_ms = (time.perf_counter() - started) * 1000
        return deleted

    async def _retain(self, key: TopicPartition, lg: Log, policy: RetentionPolicy) -> int:
        """Delete what ``policy`` no longer keeps of one log, DELETE_CHUNK segments a step."""
        deleted = 0
        # The decision is taken again at each step: appends may have happened in between.
        while self._logs.get(*key) is lg:  # False once the partition is deleted
            try:
                result = apply_retention(lg, policy, self._clock(), max_segments=DELETE_CHUNK)
            except OSError:
                self.stats.errors += 1
                log.exception("retention of %s-%d failed", *key)
                break
            if result is None:
                break
            deleted += result.segments_deleted
            self.stats.segments_deleted += result.segments_deleted
            self.stats.bytes_deleted += result.bytes_deleted
            log.info(
                "retention (%s) deleted %d segment(s), %d bytes of %s-%d; log start now %d",
                result.reason,
                result.segments_deleted,
                result.bytes_deleted,
                *key,
                result.log_start_offset,
            )
            if self._on_deleted is not None:
                self._on_deleted(key, result)
            if result.segments_deleted < DELETE_CHUNK:
                break
            await asyncio.sleep(0)
        return deleted

