"""Compaction of a log holding transactions: aborted batches go, markers stay, and only
committed transactional records can supersede older records of their key."""

from __future__ import annotations

from broker.protocol import records
from broker.protocol.control_records import marker_batch
from tests.log.helpers import append
from tests.log.test_cleaner import DROP_TOMBSTONES, clean, keyed, read_all, setup


def txn(pid: int, pairs: list[tuple[bytes, bytes]]) -> bytes:
    return records.build_batch(pairs, producer_id=pid, producer_epoch=0, transactional=True)


def test_aborted_data_is_removed_and_open_or_aborted_records_supersede_nothing(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    append(lg, keyed([(b"a", b"a-plain")]))  # 0: superseded by the committed a at 4
    append(lg, txn(5, [(b"b", b"b-aborted")]))  # 1: aborted
    append(lg, marker_batch(5, 0, False, 0))  # 2
    append(lg, keyed([(b"b", b"b-plain")]))  # 3: an aborted b (1) did not supersede it...
    append(lg, txn(6, [(b"a", b"a-committed")]))  # 4
    append(lg, marker_batch(6, 0, True, 0))  # 5
    append(lg, keyed([(b"c", b"c-plain")]))  # 6: ...nor does the open one below
    lg.roll()
    append(lg, txn(7, [(b"c", b"c-open")]))  # 7: no marker yet (its segment waits)
    lg.roll()
    clean(cleaner, lg)
    kept = [
        (b.header.base_offset, b.header.is_control, [r.value for r in b.records])
        for b in read_all(lg)
    ]
    assert kept == [
        (2, True, [b"\x00\x00\x00\x00\x00\x00"]),
        (3, False, [b"b-plain"]),
        (4, False, [b"a-committed"]),
        (5, True, [b"\x00\x00\x00\x00\x00\x00"]),
        (6, False, [b"c-plain"]),
        (7, False, [b"c-open"]),
    ]


def test_a_transaction_decided_after_a_pass_still_supersedes_older_records(tmp_path):
    """A pass must not move its checkpoint past records of an undecided transaction: once
    its commit is read, they would be below the dirty section and never enter the offset
    map, so the older value they replace would outlive them (and their tombstone)."""
    _, lg, cleaner = setup(tmp_path, DROP_TOMBSTONES)
    append(lg, keyed([(b"a", b"a-old")]))  # 0
    append(lg, txn(6, [(b"a", None)]))  # 1: deletes a once committed
    lg.roll()
    append(lg, keyed([(b"b", b"b")]))  # 2, in the active segment
    clean(cleaner, lg, DROP_TOMBSTONES)  # the transaction is still open
    append(lg, marker_batch(6, 0, True, 0))  # 3: committed
    lg.roll()
    for _ in range(3):  # the tombstone is kept by one pass and dropped by a later one
        clean(cleaner, lg, DROP_TOMBSTONES)
    data = [(r.key, r.value) for b in read_all(lg) if not b.header.is_control for r in b.records]
    assert data == [(b"b", b"b")]


def test_a_marker_in_the_active_segment_decides_the_transaction(tmp_path):
    _, lg, cleaner = setup(tmp_path)
    append(lg, keyed([(b"a", b"a-old")]))  # 0
    append(lg, txn(6, [(b"a", b"a-new")]))  # 1
    lg.roll()
    append(lg, marker_batch(6, 0, True, 0))  # 2, in the active segment
    assert clean(cleaner, lg).end == 2
    data = [(r.key, r.value) for b in read_all(lg) if not b.header.is_control for r in b.records]
    assert data == [(b"a", b"a-new")]
