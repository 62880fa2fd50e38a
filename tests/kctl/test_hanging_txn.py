"""find-hanging's rules (kctl.hanging_txn) on made-up producer states and descriptions."""

from __future__ import annotations

from kctl.hanging_txn import candidates, hanging
from kctl.txn_wire import Description, ProducerInfo

NOW = 10_000_000
MAX = 15 * 60_000


def producer(pid: int, start_offset: int, idle_ms: int) -> ProducerInfo:
    return ProducerInfo(producer_id=pid, producer_epoch=3, last_sequence=7,
                        last_timestamp=NOW - idle_ms, coordinator_epoch=0,
                        txn_start_offset=start_offset)


def ongoing(tid: str, pid: int, *partitions: tuple[str, int]) -> Description:
    return Description(tid, "Ongoing", pid, 3, MAX, NOW - MAX - 5, sorted(partitions))


def test_candidates_are_open_and_idle_past_the_max_timeout():
    states = {
        ("t", 0): [producer(1, 40, MAX + 1), producer(2, -1, MAX * 9), producer(3, 5, MAX)],
        ("t", 1): [producer(1, 0, MAX * 2)],
    }
    found = candidates(states, NOW, MAX)
    assert [(c.topic, c.partition, c.producer.producer_id) for c in found] == [
        ("t", 0, 1), ("t", 1, 1)]  # pid 2 has nothing open; pid 3 is exactly at the limit
    assert found[1].idle_ms(NOW) == MAX * 2


def test_hanging_unless_the_coordinator_still_counts_the_partition():
    states = {("t", 0): [producer(1, 4, MAX * 2), producer(2, 9, MAX * 2),
                         producer(3, 1, MAX * 2)],
              ("t", 1): [producer(1, 2, MAX * 2), producer(4, 0, MAX * 2)]}
    open_txns = candidates(states, NOW, MAX)
    ids = {1: "app-1", 2: "app-2", 4: "app-4"}  # pid 3: no coordinator lists it
    descriptions = {
        "app-1": ongoing("app-1", 1, ("t", 0)),  # counts t-0 but no longer t-1
        "app-2": ongoing("app-2", 2, ("t", 0)),
        # app-4 is unknown to its coordinator (expired): absent
    }
    result = {(t.topic, t.partition, t.producer.producer_id)
              for t in hanging(open_txns, ids, descriptions)}
    assert result == {("t", 1, 1), ("t", 0, 3), ("t", 1, 4)}
