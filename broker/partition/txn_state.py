"""Transaction state of a partition across restarts: snapshots at segment rolls, and the scan
that rebuilds open transactions and the aborted-transaction indexes at start-up.

A snapshot ``<offset:020d>.txnsnapshot`` in the partition directory holds the open
transactions (producer id, first offset) as of ``offset``, a segment base written when the
log rolled there. Opening a partition scans batch headers from the newest snapshot at or
below the active segment (normally the active segment alone, which the idempotent state
needs anyway), so start-up time does not grow with the data kept. Without a usable snapshot
(a log written before transactions existed here, or a crash between roll and snapshot) the
scan starts at the log start, and writes the snapshot it was missing.

The scan also rewrites the ``.txnindex`` of every segment it covers from the markers it
reads: a kill -9 between a marker and its index entry, or a recovery that cut the log, leaves
no stale or missing entry behind.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from broker.log.atomic import write_atomically
from broker.log.log import Log
from broker.log.txn_index import AbortedTxn
from broker.partition.producer_state import ProducerStateManager
from broker.protocol.control_records import read_marker
from broker.protocol.records import CONTROL_MASK

log = logging.getLogger("broker.partition")

SNAPSHOT_SUFFIX = ".txnsnapshot"
_SNAPSHOT = re.compile(r"^(\d{20})\.txnsnapshot$")
KEEP_SNAPSHOTS = 2


def snapshot_path(directory: Path, offset: int) -> Path:
    return directory / f"{offset:020d}{SNAPSHOT_SUFFIX}"


def snapshots(directory: Path) -> list[int]:
    found = []
    for path in directory.iterdir():
        m = _SNAPSHOT.match(path.name)
        if m is not None:
            found.append(int(m.group(1)))
    return sorted(found)


def write_snapshot(directory: Path, offset: int, ongoing: dict[int, int]) -> None:
    """Persist the open transactions as of ``offset``; older snapshots beyond the newest
    KEEP_SNAPSHOTS are removed."""
    body = {"offset": offset, "ongoing": sorted([pid, first] for pid, first in ongoing.items())}
    write_atomically(snapshot_path(directory, offset), json.dumps(body))
    for old in snapshots(directory)[:-KEEP_SNAPSHOTS]:
        snapshot_path(directory, old).unlink(missing_ok=True)


def read_snapshot(directory: Path, offset: int) -> dict[int, int] | None:
    try:
        body = json.loads(snapshot_path(directory, offset).read_text())
        return {int(pid): int(first) for pid, first in body["ongoing"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("%s: unreadable transaction snapshot at %d: %s", directory.name, offset, e)
        return None


@dataclass(slots=True)
class ScanStart:
    offset: int
    ongoing: dict[int, int] = field(default_factory=dict)


def scan_start(lg: Log) -> ScanStart:
    """Where the start-up scan begins, with the open transactions known there."""
    bases = lg.segment_bases()
    active = bases[-1]
    found = snapshots(lg.directory)
    for stale in (o for o in found if o > active):  # the log was cut below them
        snapshot_path(lg.directory, stale).unlink(missing_ok=True)
    usable = [o for o in found if o <= active and o >= bases[0]]
    for offset in reversed(usable):
        ongoing = read_snapshot(lg.directory, offset)
        if ongoing is not None:
            return ScanStart(max(offset, lg.log_start_offset), ongoing)
    if len(bases) == 1:
        # One segment: nothing can have started before it that this scan will not see,
        # except what retention deleted (its transactions are past their timeout anyway).
        return ScanStart(max(active, lg.log_start_offset))
    return ScanStart(lg.log_start_offset)


def rebuild(lg: Log, producers: ProducerStateManager) -> None:
    """Replay batch headers into ``producers`` (idempotent and transaction state) and rewrite
    the aborted-transaction index of each segment the scan covers."""
    start = scan_start(lg)
    producers.ongoing = dict(start.ongoing)
    bases = lg.segment_bases()
    active = bases[-1]
    aborted: dict[int, list[AbortedTxn]] = {}
    snapshot_due = start.offset < active  # so the next opening starts at the active segment
    for h in lg.batch_headers(start.offset):
        if snapshot_due and h.base_offset >= active:
            write_snapshot(lg.directory, active, producers.ongoing)
            snapshot_due = False
        producers.update(h)
        if h.producer_id < 0 or not h.attributes & CONTROL_MASK:
            continue
        try:
            commit, coordinator_epoch = read_marker(
                lg.read(h.base_offset, h.size, min_one=True)
            )
        except ValueError as e:
            name = lg.directory.name
            log.warning("%s: unreadable control batch at %d: %s", name, h.base_offset, e)
            continue
        entry = producers.end_txn(h, commit, coordinator_epoch)
        if entry is None:
            continue
        base = bases[max(0, bisect_right(bases, h.base_offset) - 1)]
        aborted.setdefault(base, []).append(entry)
    if snapshot_due:
        write_snapshot(lg.directory, active, producers.ongoing)
    for base in bases:
        if base + _segment_span(bases, base) <= start.offset:
            continue  # wholly before the scan: its index stays as written
        entries = aborted.get(base, [])
        if base < start.offset:  # partly scanned: keep the entries of the part before
            seg_entries = lg.collect_aborted(base, start.offset)
            entries = [e for e in seg_entries if e.last_offset < start.offset] + entries
        lg.replace_aborted(base, entries)


def _segment_span(bases: list[int], base: int) -> int:
    """How far a segment can reach: to the next base (unbounded for the active one)."""
    i = bases.index(base)
    return bases[i + 1] - base if i + 1 < len(bases) else 2**62
