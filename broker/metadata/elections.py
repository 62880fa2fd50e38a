"""Leader elections of existing partitions (ElectLeaders), with Apache Kafka's rules.

* PREFERRED: the first replica of the assignment (the preferred one) takes the lead if it is
  alive and in sync; not needed if it leads already.
* UNCLEAN: only for a partition without a leader. The first live in-sync replica leads if
  there is one (a clean election); otherwise the first live replica, which becomes the
  whole ISR: records it lacks are lost, which is why the client must ask for it.

Pure: the controller turns a decision into a PartitionChangeRecord and commits it. On one
node every partition is led by its only replica, so each answer is ELECTION_NOT_NEEDED; the
rules are those a cluster with failed brokers needs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum

from broker.errors import ErrorCode, KafkaError
from broker.metadata.image import PartitionImage
from broker.metadata.records import NO_LEADER


class ElectionType(IntEnum):
    PREFERRED = 0
    UNCLEAN = 1

    @classmethod
    def of(cls, value: int) -> ElectionType:
        try:
            return cls(value)
        except ValueError:
            raise KafkaError(ErrorCode.invalid_request, f"unknown election type {value}") from None


@dataclass(frozen=True, slots=True)
class LeaderChange:
    leader: int
    isr: tuple[int, ...] | None  # None: unchanged


@dataclass(slots=True)
class TopicElections:
    """The outcome of one topic's elections: (partition, None or the error) in order."""

    topic: str
    results: list[tuple[int, KafkaError | None]]


def elect(p: PartitionImage, election: ElectionType, live: Collection[int]) -> LeaderChange:
    """The leader (and ISR) ``election`` gives partition ``p``, or KafkaError why none:
    ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE or ELIGIBLE_LEADERS_NOT_AVAILABLE."""
    if election is ElectionType.PREFERRED:
        preferred = p.replicas[0]
        if p.leader == preferred:
            raise KafkaError(
                ErrorCode.election_not_needed,
                f"the preferred replica (broker {preferred}) leads already",
            )
        if preferred in p.isr and preferred in live:
            return LeaderChange(preferred, None)
        raise KafkaError(
            ErrorCode.preferred_leader_not_available,
            f"the preferred replica (broker {preferred}) is not alive and in sync",
        )
    if p.leader != NO_LEADER:
        raise KafkaError(
            ErrorCode.election_not_needed, f"the partition has a leader (broker {p.leader})"
        )
    for replica in p.replicas:
        if replica in p.isr and replica in live:
            return LeaderChange(replica, None)
    for replica in p.replicas:
        if replica in live:
            return LeaderChange(replica, (replica,))
    raise KafkaError(
        ErrorCode.eligible_leaders_not_available,
        f"no replica of {list(p.replicas)} is alive",
    )
