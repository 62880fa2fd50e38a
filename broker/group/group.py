"""A classic group's state: members, generation, chosen protocol, leader, committed offsets.

Only data and queries on it live here; the transitions and their timers are the
coordinator's (coordinator.py). One instance per group id, owned by the broker's event loop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from broker.group.member import Member
from broker.group.offsets import OffsetAndMetadata
from broker.group.state import GroupState, check_transition
from broker.group.subscription import CONSUMER_PROTOCOL_TYPE, subscribed_topics


@dataclass(eq=False)
class Group:
    group_id: str
    state: GroupState = GroupState.EMPTY
    generation_id: int = 0
    protocol_type: str | None = None
    protocol_name: str | None = None
    leader_id: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    # Members told MEMBER_ID_REQUIRED (KIP-394) whose rejoin is awaited, with their expiry.
    pending_members: dict[str, Any] = field(default_factory=dict)
    pending_sync: set[str] = field(default_factory=set)  # joined, SyncGroup not yet seen
    new_member_added: bool = False  # extends the initial rebalance delay
    offsets: dict[tuple[str, int], OffsetAndMetadata] = field(default_factory=dict)
    state_timestamp_ms: int | None = None  # when the current state began (None: unknown)
    subscribed: set[str] | None = None  # topics of the "consumer" members; None = unknown
    join_timer: Any = None  # the delayed completion of the current join phase
    in_initial_delay: bool = False  # the join waits out group.initial.rebalance.delay.ms
    sync_timer: Any = None  # members that joined must send SyncGroup before it fires

    def is_(self, *states: GroupState) -> bool:
        return self.state in states

    def transition(self, target: GroupState, now_ms: int) -> None:
        check_transition(self.state, target)
        self.state = target
        self.state_timestamp_ms = now_ms

    # --- membership -------------------------------------------------------------------------

    def add(self, member: Member) -> None:
        if not self.members:
            self.protocol_type = member.protocol_type
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove(self, member_id: str) -> Member | None:
        member = self.members.pop(member_id, None)
        if member is None:
            return None
        instance_id = member.group_instance_id
        if instance_id is not None and self.static_members.get(instance_id) == member_id:
            del self.static_members[instance_id]
        self.pending_sync.discard(member_id)
        if self.leader_id == member_id:
            # Prefer a member already rejoining, so the next generation has its leader.
            joined = [m for m in self.members.values() if m.awaiting_join]
            pool = joined or list(self.members.values())
            self.leader_id = pool[0].member_id if pool else None
        return member

    def replace_static_member(self, instance_id: str, old_id: str, new_id: str) -> Member:
        member = self.members.pop(old_id)
        member.member_id = new_id
        self.members[new_id] = member
        self.static_members[instance_id] = new_id
        if self.leader_id == old_id:
            self.leader_id = new_id
        if old_id in self.pending_sync:
            self.pending_sync.discard(old_id)
            self.pending_sync.add(new_id)
        return member

    def static_member_fenced(self, instance_id: str | None, member_id: str) -> bool:
        """A static member's id was replaced by a newer instance with the same instance id."""
        if instance_id is None:
            return False
        current = self.static_members.get(instance_id)
        return current is not None and current != member_id

    def has_all_members_joined(self) -> bool:
        return not self.pending_members and all(m.awaiting_join for m in self.members.values())

    def not_yet_rejoined(self) -> list[Member]:
        return [m for m in self.members.values() if not m.awaiting_join]

    def is_leader(self, member_id: str) -> bool:
        return self.leader_id == member_id

    @property
    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    # --- protocols --------------------------------------------------------------------------

    def candidate_protocols(self) -> set[str]:
        """Protocols every member supports."""
        counts = Counter(name for m in self.members.values() for name in m.protocol_names())
        return {name for name, n in counts.items() if n == len(self.members)}

    def supports_protocols(self, protocol_type: str, names: list[str]) -> bool:
        if not protocol_type or not names:
            return False
        if not self.members:
            return True
        return protocol_type == self.protocol_type and bool(self.candidate_protocols() & set(names))

    def select_protocol(self) -> str:
        """Each member votes for its favourite common protocol; ties go to the leader's."""
        candidates = self.candidate_protocols()
        votes = Counter(m.vote(candidates) for m in self.members.values())
        leader = self.members.get(self.leader_id or "")
        order = leader.protocol_names() if leader else sorted(candidates)
        best = max(votes.values())
        return next(name for name in order if votes.get(name) == best)

    def leader_view(self) -> list[tuple[str, str | None, bytes]]:
        """What the leader needs to assign: every member's metadata for the chosen protocol."""
        assert self.protocol_name is not None
        return [
            (m.member_id, m.group_instance_id, m.metadata(self.protocol_name))
            for m in self.members.values()
        ]

    def update_subscriptions(self) -> None:
        if self.protocol_type != CONSUMER_PROTOCOL_TYPE or self.protocol_name is None:
            self.subscribed = None
            return
        topics: set[str] = set()
        for m in self.members.values():
            parsed = subscribed_topics(m.metadata(self.protocol_name))
            if parsed is None:
                self.subscribed = None
                return
            topics |= parsed
        self.subscribed = topics

    def is_subscribed_to(self, topic: str) -> bool:
        """Unknown subscriptions count as subscribed: refusing is the safe answer."""
        return self.subscribed is None or topic in self.subscribed
