"""The states of a transactional id, Apache Kafka's, with every legal transition.

    Empty --AddPartitions--> Ongoing --EndTxn(commit)--> PrepareCommit --> CompleteCommit
                             Ongoing --EndTxn(abort), timeout, fencing--> PrepareAbort
                                                                 PrepareAbort --> CompleteAbort
    Empty / CompleteCommit / CompleteAbort --InitProducerId (epoch bump)--> Empty
    Empty / CompleteCommit / CompleteAbort --AddPartitions (next transaction)--> Ongoing

A Prepare state is persisted before any marker is written, so a coordinator restarted in
it writes the markers again and completes. Dead: the id expired (its record tombstoned).
The numbers are the status byte of the ``__transaction_state`` value.
"""

from __future__ import annotations

from enum import IntEnum


class TxnState(IntEnum):
    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6
    PREPARE_EPOCH_FENCE = 7

    @property
    def display(self) -> str:
        """The name Kafka's admin APIs use (DescribeTransactions, ListTransactions)."""
        return "".join(part.capitalize() for part in self.name.split("_"))


E, ON, PC, PA, CC, CA, D = (
    TxnState.EMPTY,
    TxnState.ONGOING,
    TxnState.PREPARE_COMMIT,
    TxnState.PREPARE_ABORT,
    TxnState.COMPLETE_COMMIT,
    TxnState.COMPLETE_ABORT,
    TxnState.DEAD,
)

# target -> the states it may be entered from
VALID_PREVIOUS: dict[TxnState, frozenset[TxnState]] = {
    E: frozenset({E, CC, CA}),
    ON: frozenset({ON, E, CC, CA}),
    PC: frozenset({ON}),
    PA: frozenset({ON, TxnState.PREPARE_EPOCH_FENCE}),
    CC: frozenset({PC}),
    CA: frozenset({PA}),
    D: frozenset({E, CC, CA}),
    TxnState.PREPARE_EPOCH_FENCE: frozenset({ON}),
}


class IllegalTransition(RuntimeError):
    """A coordinator bug: a transition the state machine does not allow."""


def check_transition(current: TxnState, target: TxnState) -> None:
    if current not in VALID_PREVIOUS[target]:
        raise IllegalTransition(f"{current.display} -> {target.display}")
