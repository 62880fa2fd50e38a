"""Partition reassignments (AlterPartitionReassignments, ListPartitionReassignments).

A reassignment moves a partition to another replica set: the new replicas join and catch up
into the ISR, then the old ones leave; until then it is in progress, with replicas being
added and removed. A target is checked as Kafka checks a manual assignment (check_target).

On one node the only target naming registered brokers is the current replica set, so an
alteration completes at once without a change, or is refused; none is ever in progress.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from broker.errors import ErrorCode, KafkaError


@dataclass(frozen=True, slots=True)
class OngoingReassignment:
    topic: str
    partition: int
    replicas: tuple[int, ...]  # the current set, adding replicas included
    adding: tuple[int, ...]
    removing: tuple[int, ...]


def check_target(replicas: Sequence[int], brokers: Collection[int]) -> None:
    """A target replica set must name registered brokers, each once, and not be empty.

    Brokers are checked in id order, as Kafka does, so the first problem reported is the
    same as Kafka's.
    """
    if not replicas:
        raise KafkaError(ErrorCode.invalid_replica_assignment, "the replica list is empty")
    previous = None
    for broker in sorted(replicas):
        if broker not in brokers:
            raise KafkaError(
                ErrorCode.invalid_replica_assignment,
                f"broker {broker} is not registered (brokers: {sorted(brokers)})",
            )
        if broker == previous:
            raise KafkaError(
                ErrorCode.invalid_replica_assignment, f"broker {broker} is named more than once"
            )
        previous = broker
