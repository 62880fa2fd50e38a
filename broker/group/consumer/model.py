"""A consumer group of the KIP-848 protocol: its members, epochs, target assignment and the
owner of every partition, as the coordinator's records (records.py) build them.

Only data and queries on it live here; the coordinator (coordinator.py) decides changes and
expresses them as records; ``apply`` replays a record onto the groups, the same way whether
the record was just written or is read back at start-up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum

from broker.group.consumer.reconciliation import NO_OWNER, MemberAssignment, Partitions
from broker.group.consumer.topic_regex import InvalidRegex, compile_topic_regex
from broker.group.offsets import OffsetAndMetadata


class ConsumerGroupState(Enum):
    # The values are the names Apache Kafka shows in ListGroups and ConsumerGroupDescribe.
    EMPTY = "Empty"
    ASSIGNING = "Assigning"
    RECONCILING = "Reconciling"
    STABLE = "Stable"
    DEAD = "Dead"


@dataclass(frozen=True, slots=True)
class TopicMetadata:
    topic_id: uuid.UUID
    name: str
    partitions: int


@dataclass(frozen=True, slots=True)
class MemberSubscription:
    """The member-metadata record: who the member is and what it subscribes to."""

    member_id: str
    instance_id: str | None = None
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    topic_names: tuple[str, ...] = ()
    topic_regex: str | None = None
    server_assignor: str | None = None
    rebalance_timeout_ms: int = -1


@dataclass(eq=False, slots=True)
class ConsumerMember:
    subscription: MemberSubscription
    assignment: MemberAssignment = field(default_factory=MemberAssignment)

    @property
    def member_id(self) -> str:
        return self.subscription.member_id

    @property
    def instance_id(self) -> str | None:
        return self.subscription.instance_id

    @property
    def member_epoch(self) -> int:
        return self.assignment.member_epoch


@dataclass(eq=False)
class ConsumerGroup:
    group_id: str
    group_epoch: int = 0
    assignment_epoch: int = 0
    members: dict[str, ConsumerMember] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    target: dict[str, Partitions] = field(default_factory=dict)  # member id -> its target
    subscription_metadata: dict[str, TopicMetadata] = field(default_factory=dict)  # by name
    partition_epochs: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)
    offsets: dict[tuple[str, int], OffsetAndMetadata] = field(default_factory=dict)
    state_timestamp_ms: int | None = None

    @property
    def state(self) -> ConsumerGroupState:
        if not self.members:
            return ConsumerGroupState.EMPTY
        if self.group_epoch > self.assignment_epoch:
            return ConsumerGroupState.ASSIGNING
        for m in self.members.values():
            if not m.assignment.is_reconciled_to(self.assignment_epoch):
                return ConsumerGroupState.RECONCILING
        return ConsumerGroupState.STABLE

    def partition_epoch(self, topic_id: uuid.UUID, partition: int) -> int:
        return self.partition_epochs.get((topic_id, partition), NO_OWNER)

    def static_member(self, instance_id: str) -> ConsumerMember | None:
        member_id = self.static_members.get(instance_id)
        return self.members.get(member_id) if member_id is not None else None

    def subscribed_names(self, regex_topics: dict[str, set[str]] | None = None) -> set[str]:
        """Topic names some member subscribes to (by name, or by a regex resolved in
        ``regex_topics``)."""
        names: set[str] = set()
        for m in self.members.values():
            names.update(m.subscription.topic_names)
            if m.subscription.topic_regex and regex_topics is not None:
                names |= regex_topics.get(m.subscription.topic_regex, set())
        return names

    def is_subscribed_to(self, topic: str) -> bool:
        if topic in self.subscription_metadata:
            return True
        for m in self.members.values():
            s = m.subscription
            if topic in s.topic_names:
                return True
            if s.topic_regex and matches(s.topic_regex, topic):
                return True
        return False

    # --- applying the owners of partitions ---------------------------------------------------

    def set_member_assignment(self, member_id: str, new: MemberAssignment | None) -> None:
        """Replace a member's assignment, moving the partition owner epochs with it."""
        member = self.members.get(member_id)
        if member is not None:
            old = member.assignment
            for parts in (old.assigned, old.pending_revocation):
                for topic, ps in parts.items():
                    for p in ps:
                        if self.partition_epochs.get((topic, p)) == old.member_epoch:
                            del self.partition_epochs[(topic, p)]
        if member is None or new is None:
            return
        member.assignment = new
        for parts in (new.assigned, new.pending_revocation):
            for topic, ps in parts.items():
                for p in ps:
                    self.partition_epochs[(topic, p)] = new.member_epoch


def matches(regex: str, topic: str) -> bool:
    """Does ``topic`` match the subscription regex (RE2/J syntax, as Kafka compiles it)? Like
    Kafka the whole name must match."""
    try:
        return compile_topic_regex(regex).fullmatch(topic) is not None
    except InvalidRegex:
        return False


def regex_is_valid(regex: str) -> bool:
    try:
        compile_topic_regex(regex)
    except InvalidRegex:
        return False
    return True
