"""Which open transactions hang, by the rules of Kafka's ``kafka-transactions.sh find-hanging``.

A partition's producer state shows an open transaction (a start offset) that has written
nothing for longer than the longest transaction timeout allowed: the coordinator should have
aborted it by then. It hangs, i.e. no coordinator will ever write its marker and it holds
back the last stable offset forever, unless the coordinator still counts that partition in
the producer's transaction (an ongoing transaction, or one whose markers are still being
written). So it hangs when no coordinator knows the producer id, the transactional id is
unknown to its coordinator, or the coordinator's transaction leaves the partition out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kctl.txn_wire import Description, ProducerInfo


@dataclass(frozen=True)
class OpenTransaction:
    topic: str
    partition: int
    producer: ProducerInfo

    def idle_ms(self, now_ms: int) -> int:
        return now_ms - self.producer.last_timestamp


def candidates(
    producers: Mapping[tuple[str, int], list[ProducerInfo]], now_ms: int, max_timeout_ms: int
) -> list[OpenTransaction]:
    """Open transactions idle for longer than ``max_timeout_ms``."""
    return [
        OpenTransaction(topic, partition, p)
        for (topic, partition), states in sorted(producers.items())
        for p in states
        if p.txn_start_offset >= 0 and now_ms - p.last_timestamp > max_timeout_ms
    ]


def hanging(
    open_txns: list[OpenTransaction],
    transactional_ids: Mapping[int, str],
    descriptions: Mapping[str, Description | None],
) -> list[OpenTransaction]:
    """The candidates no coordinator will finish.

    ``transactional_ids`` maps producer ids to the id a coordinator lists them under;
    ``descriptions`` holds each such id's description (None: its coordinator does not know
    it).
    """
    out = []
    for t in open_txns:
        tid = transactional_ids.get(t.producer.producer_id)
        description = descriptions.get(tid) if tid is not None else None
        if description is None or (t.topic, t.partition) not in description.partitions:
            out.append(t)
    return out
