"""Transactions in a partition: last stable offset, markers, the aborted-transaction index, and
their rebuild when the log is opened again (cleanly, after a crash, across segment rolls)."""

from __future__ import annotations

import os
import uuid

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.log.log import LogConfig
from broker.log.txn_index import AbortedTxn
from broker.partition import txn_state
from broker.partition.partition import Partition
from broker.protocol import records
from tests.log.helpers import open_log, spans

TINY = LogConfig(segment_bytes=400, index_interval_bytes=128, segment_index_bytes=4096)


def txn_batch(pid: int, epoch: int = 0, seq: int = 0, n: int = 1) -> bytes:
    return records.build_batch(
        [(None, b"t%d" % i) for i in range(n)],
        producer_id=pid,
        producer_epoch=epoch,
        base_sequence=seq,
        transactional=True,
    )


def plain(n: int = 1) -> bytes:
    return records.build_batch([(None, b"p%d" % i) for i in range(n)])


def partition_at(path, config: LogConfig = TINY, **kw) -> Partition:
    return Partition("t", 0, uuid.uuid4(), open_log(path, config, **kw), 1, [1], [1])


def test_lso_stops_read_committed_until_the_marker_and_aborts_are_listed(tmp_path):
    p = partition_at(tmp_path / "t-0", LogConfig())
    p.append(plain(2), acks=-1)  # 0-1
    p.append(txn_batch(7, n=2), acks=-1)  # 2-3
    p.append(plain(), acks=-1)  # 4
    assert (p.high_watermark, p.last_stable_offset) == (5, 2)
    data, aborted = p.read_committed(0, 1 << 20, min_one=True)
    assert spans(data) == [(0, 1)] and aborted == []
    assert p.read_committed(2, 1 << 20, min_one=True) == (b"", [])

    marker = p.write_marker(7, 0, commit=False, coordinator_epoch=0)
    assert marker == 5 and p.last_stable_offset == p.high_watermark == 6
    data, aborted = p.read_committed(0, 1 << 20, min_one=True)
    assert spans(data) == [(0, 1), (2, 3), (4, 4), (5, 5)]
    assert aborted == [AbortedTxn(7, 2, 5, 6)]
    assert p.read_committed(6, 1 << 20, min_one=True) == (b"", [])

    p.append(txn_batch(8), acks=-1)  # 6
    p.write_marker(8, 0, commit=True, coordinator_epoch=0)  # 7: commits index nothing
    assert p.log.collect_aborted(0, 100) == [AbortedTxn(7, 2, 5, 6)]


def test_markers_fence_older_epochs(tmp_path):
    p = partition_at(tmp_path / "t-0")
    p.append(txn_batch(7, epoch=3), acks=-1)
    with pytest.raises(KafkaError) as raised:
        p.write_marker(7, 2, commit=True, coordinator_epoch=0)
    assert raised.value.code == ErrorCode.invalid_producer_epoch
    p.write_marker(7, 4, commit=False, coordinator_epoch=0)  # the coordinator fencing epoch 3
    with pytest.raises(KafkaError) as raised:
        p.append(txn_batch(7, epoch=3, seq=1), acks=-1)
    assert raised.value.code == ErrorCode.invalid_producer_epoch


def test_a_clean_reopen_restores_open_transactions_and_the_index(tmp_path):
    p = partition_at(tmp_path / "t-0")
    p.append(txn_batch(1), acks=-1)  # 0
    p.write_marker(1, 0, commit=False, coordinator_epoch=0)  # 1
    p.append(txn_batch(2), acks=-1)  # 2, left open
    p.log.flush()
    p.log.close()
    again = partition_at(tmp_path / "t-0")
    assert again.last_stable_offset == 2
    assert again.log.collect_aborted(0, 2) == [AbortedTxn(1, 0, 1, 2)]
    again.write_marker(2, 0, commit=True, coordinator_epoch=0)
    assert again.last_stable_offset == again.high_watermark == 4


def test_a_transaction_begun_in_an_older_segment_survives_reopening(tmp_path):
    p = partition_at(tmp_path / "t-0")
    p.append(plain(), acks=-1)
    p.append(txn_batch(5), acks=-1)  # offset 1
    while len(p.log.segments()) < 4:
        p.append(plain(3), acks=-1)
    assert txn_state.snapshots(p.log.directory)  # written at each roll (the newest kept)
    p.log.close()
    again = partition_at(tmp_path / "t-0")
    assert again.last_stable_offset == 1
    again.log.close()

    # without snapshots the scan starts at the log start and writes the missing one
    for offset in txn_state.snapshots(again.log.directory):
        txn_state.snapshot_path(again.log.directory, offset).unlink()
    third = partition_at(tmp_path / "t-0")
    assert third.last_stable_offset == 1
    active = third.log.segments()[-1].base_offset
    assert txn_state.snapshots(third.log.directory) == [active]
    third.write_marker(5, 0, commit=False, coordinator_epoch=0)
    assert third.log.collect_aborted(0, third.high_watermark)[0].first_offset == 1


def test_recovery_rebuilds_a_lost_index_entry_and_forgets_a_cut_marker(tmp_path):
    path = tmp_path / "t-0"
    p = partition_at(path, LogConfig())
    p.append(txn_batch(1), acks=-1)  # 0
    p.write_marker(1, 0, commit=False, coordinator_epoch=0)  # 1
    p.append(txn_batch(2), acks=-1)  # 2
    p.write_marker(2, 0, commit=False, coordinator_epoch=0)  # 3
    p.log.close()
    index = path / f"{0:020d}.txnindex"
    index.unlink()  # killed between a marker and its index entry
    again = partition_at(path, LogConfig(), recover=True, recovery_point=0)
    assert again.log.collect_aborted(0, 4) == [AbortedTxn(1, 0, 1, 2), AbortedTxn(2, 2, 3, 4)]
    again.log.close()

    # a torn write took the last marker: its transaction is open again, its entry gone
    log_file = path / f"{0:020d}.log"
    size = log_file.stat().st_size
    os.truncate(log_file, size - 10)
    third = partition_at(path, LogConfig(), recover=True, recovery_point=0)
    assert third.high_watermark == 3 and third.last_stable_offset == 2
    assert third.log.collect_aborted(0, 3) == [AbortedTxn(1, 0, 1, 2)]


def test_deleting_a_segment_deletes_its_index(tmp_path):
    p = partition_at(tmp_path / "t-0")
    p.append(txn_batch(1), acks=-1)
    p.write_marker(1, 0, commit=False, coordinator_epoch=0)
    index = tmp_path / "t-0" / f"{0:020d}.txnindex"
    assert index.exists()
    while len(p.log.segments()) < 3:
        p.append(plain(3), acks=-1)
    p.log.delete_records_before(p.log.segments()[1].base_offset)
    assert not index.exists()
    assert p.log.collect_aborted(0, p.high_watermark) == []


def test_the_lso_never_falls_below_the_log_start(tmp_path):
    p = partition_at(tmp_path / "t-0", LogConfig())
    p.append(plain(2), acks=-1)  # 0-1
    p.append(txn_batch(7), acks=-1)  # 2, left open
    p.append(plain(2), acks=-1)  # 3-4
    p.log.delete_records_before(4)  # DeleteRecords past where the transaction began
    assert p.log_start_offset == 4
    assert p.last_stable_offset == 4


def test_the_coordinator_epoch_of_the_last_marker_survives_reopening(tmp_path):
    p = partition_at(tmp_path / "t-0")
    p.append(txn_batch(1), acks=-1)
    p.write_marker(1, 0, commit=True, coordinator_epoch=3)
    assert p.producers.producers[1].coordinator_epoch == 3
    p.log.flush()
    p.log.close()
    assert partition_at(tmp_path / "t-0").producers.producers[1].coordinator_epoch == 3
