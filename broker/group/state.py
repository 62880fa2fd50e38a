"""The states of a classic consumer group and the transitions between them.

Empty ----------------> PreparingRebalance      a member joins
PreparingRebalance ---> CompletingRebalance     every member rejoined, or the rebalance
                                                timeout removed the rest
PreparingRebalance ---> Empty                   nobody is left when the join completes
CompletingRebalance --> Stable                  the leader sent the assignment
CompletingRebalance --> PreparingRebalance      a member joins, leaves or times out
Stable ---------------> PreparingRebalance      a member joins, leaves, times out or
                                                changes its metadata
Empty ----------------> Dead                    deleted, or its offsets expired
any ------------------> Dead                    (never left: a Dead group is forgotten)
"""

from __future__ import annotations

from enum import Enum


class GroupState(Enum):
    # The values are the names Apache Kafka shows in ListGroups and DescribeGroups.
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


_LEGAL_PREVIOUS: dict[GroupState, frozenset[GroupState]] = {
    GroupState.PREPARING_REBALANCE: frozenset(
        {GroupState.STABLE, GroupState.COMPLETING_REBALANCE, GroupState.EMPTY}
    ),
    GroupState.COMPLETING_REBALANCE: frozenset({GroupState.PREPARING_REBALANCE}),
    GroupState.STABLE: frozenset({GroupState.COMPLETING_REBALANCE}),
    GroupState.EMPTY: frozenset({GroupState.PREPARING_REBALANCE}),
    GroupState.DEAD: frozenset(GroupState),
}


class IllegalTransition(RuntimeError):
    """A bug in the coordinator: it tried a state change the protocol does not have."""


def check_transition(current: GroupState, target: GroupState) -> None:
    if current not in _LEGAL_PREVIOUS[target]:
        raise IllegalTransition(f"group cannot go from {current.value} to {target.value}")


def parse_state(name: str) -> GroupState | None:
    """A state named in a ListGroups filter (case-insensitive, as Kafka parses them)."""
    for state in GroupState:
        if state.value.lower() == name.lower():
            return state
    return None
