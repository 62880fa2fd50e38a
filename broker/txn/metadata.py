"""What the coordinator knows of one transactional id (one record of __transaction_state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.txn.state import TxnState, check_transition

TopicPartition = tuple[str, int]
NO_PRODUCER_ID = -1
NO_EPOCH = -1
MAX_EPOCH = 32767 - 1  # Kafka leaves Short.MAX_VALUE unused, so an epoch can always be bumped


@dataclass(eq=False)
class TxnMetadata:
    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TxnState = TxnState.EMPTY
    partitions: set[TopicPartition] = field(default_factory=set)
    txn_start_ms: int = -1  # when the last transaction began (kept once it ends), -1: none yet
    last_update_ms: int = 0
    # the id/epoch before the last bump: a producer retrying InitProducerId after a lost
    # answer (KIP-360) presents these
    last_producer_id: int = NO_PRODUCER_ID
    last_producer_epoch: int = NO_EPOCH

    def transition(self, target: TxnState, now_ms: int) -> None:
        check_transition(self.state, target)
        self.state = target
        self.last_update_ms = now_ms

    def copy(self) -> TxnMetadata:
        return TxnMetadata(
            self.transactional_id,
            self.producer_id,
            self.producer_epoch,
            self.timeout_ms,
            self.state,
            set(self.partitions),
            self.txn_start_ms,
            self.last_update_ms,
            self.last_producer_id,
            self.last_producer_epoch,
        )
