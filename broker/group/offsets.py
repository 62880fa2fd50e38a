"""Committed offsets: what a group stored per partition, and when offsets expire.

Retention (Kafka's KIP-211 rule): offsets of a group with members never expire; once the
group is Empty, they expire ``offsets.retention.minutes`` after the group became empty, or
after their commit for a group that never had members (a simple, assign-only consumer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NO_LEADER_EPOCH = -1


@dataclass(frozen=True, slots=True)
class OffsetAndMetadata:
    offset: int
    leader_epoch: int = NO_LEADER_EPOCH
    metadata: str = ""
    commit_timestamp_ms: int = 0
    # Where the record storing it sits in __consumer_offsets (-1: not stored). A transaction's
    # offsets, applied when its marker lands, replace only offsets stored before them (Kafka).
    log_offset: int = field(default=-1, compare=False)


def newer(current: OffsetAndMetadata | None, candidate: OffsetAndMetadata) -> bool:
    """Should ``candidate`` replace ``current``: was it stored later?"""
    return current is None or current.log_offset < candidate.log_offset


def expired(
    offsets: dict[tuple[str, int], OffsetAndMetadata],
    empty_since_ms: int | None,
    now_ms: int,
    retention_ms: int,
) -> list[tuple[str, int]]:
    """Partitions of an Empty group whose committed offsets have outlived the retention."""
    out = []
    for tp, om in offsets.items():
        base = empty_since_ms if empty_since_ms is not None else om.commit_timestamp_ms
        if now_ms - base >= retention_ms:
            out.append(tp)
    return out
