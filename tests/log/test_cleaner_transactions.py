"""Compaction of a log holding transactions: aborted batches go, markers stay, and only
committed transactional records can supersede older records of their key."""

from __future__ import annotations

from broker.protocol import records
from broker.protocol.control_records import marker_batch
from tests.log.helpers import append
from tests.log.test_cleaner import clean, keyed, read_all, setup


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
    append(lg, txn(7, [(b"c", b"c-open")]))  # 7: no marker yet
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
