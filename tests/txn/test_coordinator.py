"""The transaction coordinator on a fake clock, an in-memory log and a recording marker channel."""

from __future__ import annotations

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.txn import log_format as fmt
from broker.txn.coordinator import TransactionCoordinator, TxnConfig
from broker.txn.markers import TxnMarker
from broker.txn.metadata import MAX_EPOCH, TxnMetadata
from broker.txn.state import IllegalTransition, TxnState, check_transition
from tests.group.fakes import FakeScheduler

TP = ("t", 0)


class MemoryTxnLog:
    def __init__(self) -> None:
        self.entries: list[tuple[bytes, bytes | None]] = []
        self.fail = False

    def append(self, transactional_id: str, entries: list[tuple[bytes, bytes | None]]) -> None:
        if self.fail:
            raise KafkaError(ErrorCode.not_enough_replicas, "no")
        self.entries += entries

    def replay(self):
        yield from self.entries

    def coordinator_epoch(self, transactional_id: str) -> int:
        return 3

    def states(self, tid: str) -> list[TxnState]:
        return [
            fmt.decode_value(tid, v).state
            for k, v in self.entries
            if v is not None and fmt.decode_key(k) == tid
        ]


class Markers:
    def __init__(self) -> None:
        self.sent: list[TxnMarker] = []
        self.fail: set[tuple[str, int]] = set()

    def send(self, marker: TxnMarker) -> dict[tuple[str, int], ErrorCode]:
        self.sent.append(marker)
        return {
            tp: ErrorCode.not_enough_replicas if tp in self.fail else ErrorCode.none
            for tp in marker.partitions
        }


def make(**config):
    clock, store, markers = FakeScheduler(), MemoryTxnLog(), Markers()
    pids = iter(range(1000, 2000))
    coordinator = TransactionCoordinator(
        TxnConfig(**config), clock, store, markers, lambda: next(pids)
    )
    return coordinator, clock, store, markers


def code_of(call) -> ErrorCode:
    with pytest.raises(KafkaError) as raised:
        call()
    return raised.value.code


def test_transitions_follow_kafka():
    check_transition(TxnState.ONGOING, TxnState.PREPARE_COMMIT)
    check_transition(TxnState.COMPLETE_ABORT, TxnState.ONGOING)
    for current, target in [
        (TxnState.EMPTY, TxnState.PREPARE_COMMIT),
        (TxnState.PREPARE_COMMIT, TxnState.COMPLETE_ABORT),
        (TxnState.COMPLETE_COMMIT, TxnState.PREPARE_ABORT),
        (TxnState.ONGOING, TxnState.EMPTY),
    ]:
        with pytest.raises(IllegalTransition):
            check_transition(current, target)
    assert TxnState.PREPARE_COMMIT.display == "PrepareCommit"


def test_commit_persists_prepare_then_writes_markers_then_completes():
    c, _, store, markers = make()
    pid, epoch = c.init_producer_id("tx", 60_000)
    assert (pid, epoch) == (1000, 0)
    c.add_partitions("tx", pid, epoch, {TP, ("u", 1)})
    c.add_partitions("tx", pid, epoch, {TP})  # already in: nothing written
    c.end_txn("tx", pid, epoch, commit=True)
    assert store.states("tx") == [
        TxnState.EMPTY,
        TxnState.ONGOING,
        TxnState.PREPARE_COMMIT,
        TxnState.COMPLETE_COMMIT,
    ]
    assert markers.sent == [TxnMarker(pid, 0, True, 3, (TP, ("u", 1)))]
    assert c.describe("tx").partitions == set()
    c.end_txn("tx", pid, epoch, commit=True)  # a retry is answered again
    assert code_of(lambda: c.end_txn("tx", pid, epoch, commit=False)) == (
        ErrorCode.invalid_txn_state
    )


def test_errors_for_wrong_producers_and_states():
    c, _, _, _ = make(max_timeout_ms=1000)
    assert code_of(lambda: c.init_producer_id("tx", 1001)) == ErrorCode.invalid_transaction_timeout
    assert code_of(lambda: c.init_producer_id("", 100)) == ErrorCode.invalid_request
    pid, epoch = c.init_producer_id("tx", 1000)
    assert code_of(lambda: c.add_partitions("nope", pid, epoch, {TP})) == (
        ErrorCode.invalid_producer_id_mapping
    )
    assert code_of(lambda: c.add_partitions("tx", pid + 1, epoch, {TP})) == (
        ErrorCode.invalid_producer_id_mapping
    )
    assert code_of(lambda: c.add_partitions("tx", pid, epoch + 1, {TP})) == (
        ErrorCode.producer_fenced
    )
    assert code_of(lambda: c.end_txn("tx", pid, epoch, commit=True)) == ErrorCode.invalid_txn_state


def test_a_new_instance_fences_the_old_and_aborts_its_transaction():
    c, _, store, markers = make()
    pid, epoch = c.init_producer_id("tx", 60_000)
    c.add_partitions("tx", pid, epoch, {TP})
    pid2, epoch2 = c.init_producer_id("tx", 60_000)
    assert pid2 == pid and epoch2 == epoch + 2  # one bump for the abort, one for the new one
    assert markers.sent == [TxnMarker(pid, epoch + 1, False, 3, (TP,))]
    assert store.states("tx")[-3:] == [
        TxnState.PREPARE_ABORT,
        TxnState.COMPLETE_ABORT,
        TxnState.EMPTY,
    ]
    assert code_of(lambda: c.add_partitions("tx", pid, epoch, {TP})) == ErrorCode.producer_fenced
    assert code_of(lambda: c.end_txn("tx", pid, epoch, True)) == ErrorCode.producer_fenced


def test_kip360_reinit_with_the_current_epoch_bumps_and_a_retry_gets_the_same():
    c, _, _, _ = make()
    pid, epoch = c.init_producer_id("tx", 60_000)
    assert c.init_producer_id("tx", 60_000, pid, epoch) == (pid, epoch + 1)
    assert c.init_producer_id("tx", 60_000, pid, epoch) == (pid, epoch + 1)  # lost answer
    assert code_of(lambda: c.init_producer_id("tx", 60_000, pid + 7, 0)) == (
        ErrorCode.producer_fenced
    )
    assert code_of(lambda: c.init_producer_id("tx", 60_000, pid, epoch + 5)) == (
        ErrorCode.producer_fenced
    )


def test_an_exhausted_epoch_gets_a_new_producer_id():
    c, _, _store, _ = make()
    c.init_producer_id("tx", 60_000)
    m = c.describe("tx")
    m.producer_epoch = MAX_EPOCH
    pid, epoch = c.init_producer_id("tx", 60_000)
    assert (pid, epoch) == (1001, 0)
    assert c.describe("tx").last_producer_id == 1000


def test_markers_that_fail_keep_the_transaction_prepared_until_a_retry_succeeds():
    c, clock, _store, markers = make(abort_check_interval_ms=100)
    c.start()
    pid, epoch = c.init_producer_id("tx", 60_000)
    c.add_partitions("tx", pid, epoch, {TP})
    markers.fail = {TP}
    assert code_of(lambda: c.end_txn("tx", pid, epoch, True)) == ErrorCode.concurrent_transactions
    assert c.describe("tx").state == TxnState.PREPARE_COMMIT
    assert code_of(lambda: c.add_partitions("tx", pid, epoch, {TP})) == (
        ErrorCode.concurrent_transactions
    )
    markers.fail = set()
    clock.advance(100)
    assert c.describe("tx").state == TxnState.COMPLETE_COMMIT
    assert [m.commit for m in markers.sent] == [True, True]
    c.stop()


def test_a_failed_log_write_changes_nothing():
    c, _, store, _ = make()
    pid, epoch = c.init_producer_id("tx", 60_000)
    store.fail = True
    assert code_of(lambda: c.add_partitions("tx", pid, epoch, {TP})) == (
        ErrorCode.coordinator_not_available
    )
    assert c.describe("tx").state == TxnState.EMPTY


def test_a_transaction_open_past_its_timeout_is_aborted_with_a_bumped_epoch():
    c, clock, _, markers = make(abort_check_interval_ms=100)
    c.start()
    pid, epoch = c.init_producer_id("tx", 1000)
    c.add_partitions("tx", pid, epoch, {TP})
    clock.advance(900)
    assert markers.sent == []
    clock.advance(300)
    assert markers.sent == [TxnMarker(pid, epoch + 1, False, 3, (TP,))]
    assert c.describe("tx").state == TxnState.COMPLETE_ABORT
    assert code_of(lambda: c.end_txn("tx", pid, epoch, True)) == ErrorCode.producer_fenced
    c.stop()


def test_unused_ids_expire_with_a_tombstone():
    c, clock, store, _ = make(id_expiration_ms=1000, expiration_check_interval_ms=500)
    c.start()
    c.init_producer_id("old", 60_000)
    pid, epoch = c.init_producer_id("busy", 60_000)
    c.add_partitions("busy", pid, epoch, {TP})
    clock.advance(1000)
    assert c.describe("old") is None and c.describe("busy") is not None
    assert store.entries[-1] == (fmt.key("old"), None)
    c.stop()


def test_load_completes_prepared_transactions_and_keeps_ongoing_ones():
    c, _, store, markers = make()
    store.entries = [
        (fmt.key("p"), fmt.value(TxnMetadata("p", 5, 2, 60_000, TxnState.PREPARE_ABORT, {TP}))),
        (fmt.key("o"), fmt.value(TxnMetadata("o", 6, 0, 60_000, TxnState.ONGOING, {TP}, 10))),
        (fmt.key("gone"), fmt.value(TxnMetadata("gone", 7, 0, 60_000))),
        (fmt.key("gone"), None),
    ]
    c.load()
    assert markers.sent == [TxnMarker(5, 2, False, 3, (TP,))]
    assert c.describe("p").state == TxnState.COMPLETE_ABORT
    assert c.describe("o").state == TxnState.ONGOING
    assert c.describe("gone") is None
