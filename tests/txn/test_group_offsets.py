"""Offsets committed in a transaction (TxnOffsetCommit) in the group coordinator: pending until
the marker, applied on commit, dropped on abort, and restored as pending after a restart."""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.group import log_format as fmt
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator
from broker.group.offsets import OffsetAndMetadata
from broker.group.offsets_topic import Stored
from tests.group.fakes import FakeScheduler, MemoryLog

TP = ("t", 0)


class TxnMemoryLog(MemoryLog):
    def __init__(self) -> None:
        super().__init__()
        self.txn: list[tuple[int, int, list]] = []
        self.open: dict[int, list] = {}

    def append_txn(self, group_id, entries, producer_id, producer_epoch) -> int:
        self.txn.append((producer_id, producer_epoch, entries))
        return super().append_txn(group_id, entries, producer_id, producer_epoch)

    def open_transactions(self):
        return self.open


def make():
    store = TxnMemoryLog()
    return GroupCoordinator(CoordinatorConfig(), FakeScheduler(), store), store


def test_commit_applies_and_abort_drops():
    c, store = make()
    c.commit_offsets("g", -1, "", None, {TP: OffsetAndMetadata(1)})
    assert c.commit_txn_offsets("g", 7, 0, -1, "", None, {TP: OffsetAndMetadata(5)}) == {
        TP: ErrorCode.none
    }
    assert store.txn[0][:2] == (7, 0)
    assert c.fetch_offsets("g", [TP])[TP].offset == 1
    assert c.pending_partitions("g") == {TP}
    c.complete_txn(7, commit=True, offsets_partition=store.partition_of("g"))
    assert c.fetch_offsets("g", [TP])[TP].offset == 5
    assert c.pending_partitions("g") == set()

    c.commit_txn_offsets("g", 7, 0, -1, "", None, {TP: OffsetAndMetadata(9)})
    c.complete_txn(7, commit=False, offsets_partition=store.partition_of("g"))
    assert c.fetch_offsets("g", [TP])[TP].offset == 5
    assert c.pending_txn == {}


def test_a_plain_commit_stored_after_the_transactions_offsets_stays():
    """As Kafka: when the marker lands, a transaction's offsets replace only offsets whose
    records are older than theirs (an app that also commits outside its transactions)."""
    c, store = make()
    c.commit_txn_offsets(
        "g", 7, 0, -1, "", None, {TP: OffsetAndMetadata(5), ("t", 1): OffsetAndMetadata(6)}
    )
    c.commit_offsets("g", -1, "", None, {TP: OffsetAndMetadata(3)})
    c.complete_txn(7, commit=True, offsets_partition=store.partition_of("g"))
    got = c.fetch_offsets("g", [TP, ("t", 1)])
    assert (got[TP].offset, got[("t", 1)].offset) == (3, 6)
    # and a later transaction does replace the plain commit before it
    c.commit_txn_offsets("g", 7, 1, -1, "", None, {TP: OffsetAndMetadata(8)})
    c.complete_txn(7, commit=True, offsets_partition=store.partition_of("g"))
    assert c.fetch_offsets("g", [TP])[TP].offset == 8


def test_member_checks_apply_only_when_the_request_names_a_member():
    c, _ = make()
    assert c.commit_txn_offsets("g", 7, 0, 3, "", None, {TP: OffsetAndMetadata(1)}) == {
        TP: ErrorCode.illegal_generation
    }
    assert c.commit_txn_offsets("g", 7, 0, -1, "who", None, {TP: OffsetAndMetadata(1)}) == {
        TP: ErrorCode.unknown_member_id
    }
    assert c.commit_txn_offsets("", 7, 0, -1, "", None, {TP: OffsetAndMetadata(1)}) == {
        TP: ErrorCode.invalid_group_id
    }


def test_open_transactions_found_at_load_stay_pending_until_decided():
    c, store = make()
    store.open = {
        7: [Stored(fmt.offset_key("g", "t", 0), fmt.offset_value(OffsetAndMetadata(11)), 40)]
    }
    c.load()
    assert c.pending_partitions("g") == {TP}
    c.complete_txn(7, commit=True, offsets_partition=store.partition_of("g"))
    assert c.fetch_offsets("g", [TP])[TP].offset == 11
