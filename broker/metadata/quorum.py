"""The Raft quorum that owns the metadata log, as this node sees it.

KRaft replicates ``__cluster_metadata-0`` among the controller voters; the leader's high
watermark marks what a majority holds. Today the quorum has one voter, this node, so:

* Each start is an election the node wins alone, in a new epoch: the leader epoch grows by
  one per start and never goes back. It is kept in ``<log dir>/quorum-state`` (where Kafka
  keeps its election state), written atomically before the node serves.
* A commit is fsynced before it is applied (store.py), and one voter is a majority, so the
  high watermark is the log end.
* No other node fetches the log: no observers, and the leader's own fetch and caught-up
  times are "now", as Kafka reports them for the leader.

More voters will change these answers (epochs from votes, the watermark from followers'
fetches), not the shape that DescribeQuorum reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from broker.log.atomic import write_atomically
from broker.metadata.store import MetadataStore, MetadataStoreError

METADATA_TOPIC = "__cluster_metadata"
METADATA_PARTITION = 0
QUORUM_STATE = "quorum-state"
STATE_VERSION = 0


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """What the leader knows of one replica of the metadata log."""

    replica_id: int
    log_end_offset: int
    last_fetch_ms: int  # -1: unknown
    last_caught_up_ms: int  # -1: unknown


@dataclass(frozen=True, slots=True)
class QuorumInfo:
    leader_id: int
    leader_epoch: int
    high_watermark: int
    voters: tuple[ReplicaState, ...]
    observers: tuple[ReplicaState, ...]


class MetadataQuorum:
    """This node's place in the metadata quorum: leader and sole voter."""

    def __init__(self, store: MetadataStore, leader_epoch: int) -> None:
        self.store = store
        self.leader_epoch = leader_epoch

    @classmethod
    def elect(cls, store: MetadataStore) -> MetadataQuorum:
        """Win the election of a new epoch and record it before serving as leader."""
        path = store.path.parent / QUORUM_STATE
        epoch = read_epoch(path) + 1
        node = store.node_id
        state = {
            "leaderId": node,
            "leaderEpoch": epoch,
            "votedId": node,
            "currentVoters": [{"voterId": node}],
            "data_version": STATE_VERSION,
        }
        write_atomically(path, json.dumps(state) + "\n")
        return cls(store, epoch)

    @property
    def leader_id(self) -> int:
        return self.store.node_id

    @property
    def voters(self) -> tuple[int, ...]:
        return (self.store.node_id,)

    def describe(self, now_ms: int) -> QuorumInfo:
        end = self.store.next_offset
        leader = ReplicaState(self.leader_id, end, now_ms, now_ms)
        return QuorumInfo(self.leader_id, self.leader_epoch, end, (leader,), ())


def read_epoch(path: Path) -> int:
    """The leader epoch recorded in ``path``; 0 before the first election."""
    if not path.exists():
        return 0
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        epoch = state["leaderEpoch"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise MetadataStoreError(f"cannot read {path}: {e!r}") from None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise MetadataStoreError(f"{path}: leaderEpoch {epoch!r} is not an epoch")
    return epoch
