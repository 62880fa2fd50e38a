"""Rebuild transactional ids from a replay of ``__transaction_state``: the latest record of
each id wins, a tombstone forgets it (what compaction keeps, so a compacted log replays the
same). Unreadable records are skipped with a warning."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from broker.txn import log_format as fmt
from broker.txn.metadata import TxnMetadata

log = logging.getLogger("broker.txn")


def load_transactions(entries: Iterable[tuple[bytes, bytes | None]]) -> dict[str, TxnMetadata]:
    txns: dict[str, TxnMetadata] = {}
    skipped = 0
    for key, value in entries:
        try:
            tid = fmt.decode_key(key)
            if value is None:
                txns.pop(tid, None)
            else:
                txns[tid] = fmt.decode_value(tid, value)
        except (fmt.FormatError, UnicodeDecodeError) as e:
            skipped += 1
            log.warning("skipping an unreadable record of the transaction log: %s", e)
    if skipped:
        log.warning("%d record(s) of the transaction log could not be read", skipped)
    return txns
