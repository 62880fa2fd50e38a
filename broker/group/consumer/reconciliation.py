"""How one member moves from its current assignment towards its target (Kafka's
CurrentAssignmentBuilder), as a pure function.

A partition is given to its new owner only once its previous owner has revoked it: the
coordinator tracks, per partition, the epoch of the member holding it (assigned or pending
revocation). The states:

STABLE                 reconciled; a newer target epoch starts the next step
UNREVOKED_PARTITIONS   must stop owning some partitions first; stays at its epoch until
                       its heartbeat's owned partitions no longer contain them
UNRELEASED_PARTITIONS  at the target epoch, waiting for partitions other members still hold

A member sees its epoch bumped to the target epoch as soon as it has nothing left to revoke.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum

Partitions = Mapping[uuid.UUID, frozenset[int]]

NO_OWNER = -1


class MemberState(IntEnum):
    # Kafka's MemberState byte values (stored in the current-assignment record)
    STABLE = 0
    UNREVOKED_PARTITIONS = 1
    UNRELEASED_PARTITIONS = 2
    UNKNOWN = 127


@dataclass(frozen=True, slots=True)
class MemberAssignment:
    """What the coordinator knows of a member's progress (the current-assignment record)."""

    member_epoch: int = 0
    previous_member_epoch: int = 0
    state: MemberState = MemberState.STABLE
    assigned: Partitions = field(default_factory=dict)
    pending_revocation: Partitions = field(default_factory=dict)

    def is_reconciled_to(self, target_epoch: int) -> bool:
        return self.state is MemberState.STABLE and self.member_epoch == target_epoch


def owns_any(owned: Partitions | None, partitions: Partitions) -> bool:
    """Does the member still report one of ``partitions``? Unknown (None) counts as yes."""
    if owned is None:
        return True
    return any(owned.get(t, frozenset()) & ps for t, ps in partitions.items())


def reconcile(
    current: MemberAssignment,
    target_epoch: int,
    target: Partitions,
    partition_epoch: Callable[[uuid.UUID, int], int],
    owned: Partitions | None,
) -> MemberAssignment:
    """The member's next step towards ``target``; ``partition_epoch`` gives the epoch of the
    member holding a partition (NO_OWNER if free); ``owned`` is what its heartbeat reported
    (None if the heartbeat did not say)."""
    if current.state is MemberState.STABLE:
        if current.member_epoch == target_epoch:
            return current
        return _next(current, current.member_epoch, target_epoch, target, partition_epoch, owned)
    if current.state is MemberState.UNREVOKED_PARTITIONS:
        if owns_any(owned, current.pending_revocation):
            return current
        return _next(
            current, current.member_epoch + 1, target_epoch, target, partition_epoch, owned
        )
    return _next(current, current.member_epoch, target_epoch, target, partition_epoch, owned)


def _next(
    current: MemberAssignment,
    member_epoch: int,
    target_epoch: int,
    target: Partitions,
    partition_epoch: Callable[[uuid.UUID, int], int],
    owned: Partitions | None,
) -> MemberAssignment:
    assigned: dict[uuid.UUID, frozenset[int]] = {}
    revoking: dict[uuid.UUID, frozenset[int]] = {}
    to_assign: dict[uuid.UUID, frozenset[int]] = {}
    unreleased = False
    for topic in set(target) | set(current.assigned):
        want = target.get(topic, frozenset())
        have = current.assigned.get(topic, frozenset())
        keep = have & want
        revoke = have - keep
        mine = current.pending_revocation.get(topic, frozenset())
        # a partition another member still holds waits; one this member is revoking does not
        free = frozenset(
            p for p in want - keep if partition_epoch(topic, p) == NO_OWNER or p in mine
        )
        unreleased = unreleased or len(free) < len(want - keep)
        if keep:
            assigned[topic] = keep
        if revoke:
            revoking[topic] = revoke
        if free:
            to_assign[topic] = free
    if revoking and owns_any(owned, revoking):
        return MemberAssignment(
            member_epoch=member_epoch,
            previous_member_epoch=current.member_epoch,
            state=MemberState.UNREVOKED_PARTITIONS,
            assigned=assigned,
            pending_revocation=revoking,
        )
    for topic, ps in to_assign.items():
        assigned[topic] = assigned.get(topic, frozenset()) | ps
    return MemberAssignment(
        member_epoch=target_epoch,
        previous_member_epoch=current.member_epoch,
        state=MemberState.UNRELEASED_PARTITIONS if unreleased else MemberState.STABLE,
        assigned=assigned,
        pending_revocation={},
    )
