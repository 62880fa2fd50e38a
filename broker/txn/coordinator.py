"""The transaction coordinator: Apache Kafka's rules for transactional producers.

Every change of a transactional id is written to ``__transaction_state`` before the client
is answered and before the in-memory state changes (a failed write changes nothing). Ending
a transaction is two-phase: PrepareCommit/PrepareAbort is persisted, the markers are written
to every partition of the transaction (markers.py), then CompleteCommit/CompleteAbort. On a
single node the markers are written before EndTxn is answered; a marker that cannot be
written leaves the id in its Prepare state (answering CONCURRENT_TRANSACTIONS) and is retried
by a timer, as is everything found prepared after a restart.

Fencing: InitProducerId bumps the epoch (a new producer id when the epoch is exhausted), so
requests and batches of an older instance with the same transactional id are refused
(PRODUCER_FENCED, shown to old request versions as INVALID_PRODUCER_EPOCH by the handlers).
An open transaction of the fenced instance is aborted with the bumped epoch, which also
fences its batches at the partitions. A transaction open longer than its timeout is aborted
the same way. Ids unused for transactional.id.expiration.ms are forgotten (tombstoned).

Everything runs on the broker's event loop: handlers and timers never interleave.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from broker.errors import ErrorCode, KafkaError
from broker.group.timers import Cancellable, Scheduler
from broker.txn import log_format as fmt
from broker.txn.loader import load_transactions
from broker.txn.markers import MarkerChannel, TxnMarker
from broker.txn.metadata import MAX_EPOCH, NO_EPOCH, NO_PRODUCER_ID, TopicPartition, TxnMetadata
from broker.txn.state import TxnState
from broker.txn.state_topic import TxnLog

log = logging.getLogger("broker.txn")

EMPTY, ONGOING, PREPARE_COMMIT, PREPARE_ABORT, COMPLETE_COMMIT, COMPLETE_ABORT = (
    TxnState.EMPTY,
    TxnState.ONGOING,
    TxnState.PREPARE_COMMIT,
    TxnState.PREPARE_ABORT,
    TxnState.COMPLETE_COMMIT,
    TxnState.COMPLETE_ABORT,
)
PREPARED = (PREPARE_COMMIT, PREPARE_ABORT)
COMPLETED = (EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT)
# Marker results that need no retry: written, or the partition is gone (Kafka drops those),
# or the partition already knows a newer epoch of the producer.
_MARKER_DONE = (
    ErrorCode.none,
    ErrorCode.unknown_topic_or_partition,
    ErrorCode.invalid_producer_epoch,
)


@dataclass(frozen=True, slots=True)
class TxnConfig:
    max_timeout_ms: int = 900_000
    id_expiration_ms: int = 604_800_000
    abort_check_interval_ms: int = 10_000
    expiration_check_interval_ms: int = 3_600_000

    @classmethod
    def from_broker_config(cls, config) -> TxnConfig:
        return cls(
            max_timeout_ms=int(config.get("transaction.max.timeout.ms")),
            id_expiration_ms=int(config.get("transactional.id.expiration.ms")),
            abort_check_interval_ms=int(
                config.get("transaction.abort.timed.out.transaction.cleanup.interval.ms")
            ),
            expiration_check_interval_ms=int(
                config.get("transaction.remove.expired.transaction.cleanup.interval.ms")
            ),
        )


class TransactionCoordinator:
    def __init__(
        self,
        config: TxnConfig,
        scheduler: Scheduler,
        store: TxnLog,
        markers: MarkerChannel,
        allocate_producer_id: Callable[[], int],
    ) -> None:
        self.config = config
        self.scheduler = scheduler
        self.store = store
        self.markers = markers
        self.allocate_producer_id = allocate_producer_id
        self.txns: dict[str, TxnMetadata] = {}
        self._timers: dict[str, Cancellable] = {}  # the pending run of each periodic task

    # --- lifecycle --------------------------------------------------------------------------

    def load(self) -> None:
        """Rebuild the ids from the log and finish the transactions found prepared."""
        self.txns = load_transactions(self.store.replay())
        prepared = [m for m in self.txns.values() if m.state in PREPARED]
        for m in prepared:
            log.info("completing %s of %r after a restart", m.state.display, m.transactional_id)
            self._complete(m)
        if self.txns:
            log.info("loaded %d transactional id(s)", len(self.txns))

    def start(self) -> None:
        self._schedule("abort", self.config.abort_check_interval_ms, self._abort_tick)
        self._schedule("expire", self.config.expiration_check_interval_ms, self._expire_tick)

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _schedule(self, name: str, delay_ms: int, callback: Callable[[], None]) -> None:
        self._timers[name] = self.scheduler.call_later(delay_ms, callback)

    # --- InitProducerId ---------------------------------------------------------------------

    def init_producer_id(
        self,
        transactional_id: str,
        timeout_ms: int,
        expected_producer_id: int = NO_PRODUCER_ID,
        expected_epoch: int = NO_EPOCH,
    ) -> tuple[int, int]:
        """(producer id, epoch) for the transactional id: a new id, or the epoch bumped."""
        if not transactional_id:
            raise KafkaError(ErrorCode.invalid_request, "the transactional id is empty")
        if not 0 < timeout_ms <= self.config.max_timeout_ms:
            raise KafkaError(
                ErrorCode.invalid_transaction_timeout,
                f"transaction timeout {timeout_ms} ms is not in (0, "
                f"transaction.max.timeout.ms={self.config.max_timeout_ms}]",
            )
        now = self.scheduler.now_ms()
        m = self.txns.get(transactional_id)
        if m is None:
            new = TxnMetadata(
                transactional_id, self.allocate_producer_id(), 0, timeout_ms, last_update_ms=now
            )
            self._write(new)
            log.info("transactional id %r: producer id %d", transactional_id, new.producer_id)
            return new.producer_id, 0
        expected = expected_producer_id >= 0
        if expected and not _valid_producer_id(m, expected_producer_id, expected_epoch):
            raise KafkaError(
                ErrorCode.producer_fenced,
                f"producer {expected_producer_id} epoch {expected_epoch} is not the current "
                f"producer of {transactional_id!r}",
            )
        if m.state in PREPARED and not self._complete(m):
            raise KafkaError(ErrorCode.concurrent_transactions)
        m = self.txns[transactional_id]
        if m.state == ONGOING:
            # a new instance fences the old one: its transaction is aborted, with a bumped
            # epoch so its in-flight batches are refused at the partitions
            if not self._end(m, commit=False, bump_epoch=True):
                raise KafkaError(ErrorCode.concurrent_transactions)
            m = self.txns[transactional_id]
            expected = False
        new = m.copy()
        new.timeout_ms = timeout_ms
        new.last_update_ms = now
        if m.producer_epoch >= MAX_EPOCH and (not expected or expected_epoch == m.producer_epoch):
            new.last_producer_id, new.last_producer_epoch = m.producer_id, m.producer_epoch
            new.producer_id, new.producer_epoch = self.allocate_producer_id(), 0
        elif not expected or expected_epoch == m.producer_epoch:
            new.producer_epoch = m.producer_epoch + 1
            new.last_producer_epoch = m.producer_epoch if expected else NO_EPOCH
        elif expected_epoch == m.last_producer_epoch:
            pass  # a retry of the bump whose answer was lost: the same epoch again
        else:
            raise KafkaError(
                ErrorCode.producer_fenced,
                f"epoch {expected_epoch} is neither {m.producer_epoch} nor the previous one",
            )
        new.transition(EMPTY, now)
        self._write(new)
        log.info(
            "transactional id %r: producer id %d epoch %d",
            transactional_id,
            new.producer_id,
            new.producer_epoch,
        )
        return new.producer_id, new.producer_epoch

    # --- AddPartitionsToTxn / AddOffsetsToTxn -----------------------------------------------

    def add_partitions(
        self,
        transactional_id: str,
        producer_id: int,
        producer_epoch: int,
        partitions: set[TopicPartition],
    ) -> None:
        """Add partitions to the producer's transaction (starting one if none is open)."""
        m = self._current(transactional_id, producer_id, producer_epoch)
        if m.state in PREPARED:
            raise KafkaError(ErrorCode.concurrent_transactions)
        if m.state not in (ONGOING, *COMPLETED):
            raise KafkaError(ErrorCode.invalid_txn_state, f"{transactional_id!r} is {m.state}")
        if m.state == ONGOING and partitions <= m.partitions:
            return
        now = self.scheduler.now_ms()
        new = m.copy()
        if m.state != ONGOING:
            new.partitions = set()
            new.txn_start_ms = now
        new.partitions |= partitions
        new.transition(ONGOING, now)
        self._write(new)

    def verify(self, transactional_id: str, producer_id: int, producer_epoch: int) -> None:
        """The producer is the current one of the id (TxnOffsetCommit's check)."""
        self._current(transactional_id, producer_id, producer_epoch)

    # --- EndTxn -----------------------------------------------------------------------------

    def end_txn(
        self, transactional_id: str, producer_id: int, producer_epoch: int, commit: bool
    ) -> None:
        m = self._current(transactional_id, producer_id, producer_epoch)
        state = m.state
        wanted = "commit" if commit else "abort"
        if state == ONGOING:
            if not self._end(m, commit=commit, bump_epoch=False):
                raise KafkaError(ErrorCode.concurrent_transactions)
            return
        if state == (COMPLETE_COMMIT if commit else COMPLETE_ABORT):
            return  # a retry of an EndTxn whose answer was lost
        if state == (PREPARE_COMMIT if commit else PREPARE_ABORT):
            if not self._complete(m):
                raise KafkaError(ErrorCode.concurrent_transactions)
            return
        raise KafkaError(
            ErrorCode.invalid_txn_state,
            f"cannot {wanted} the transaction of {transactional_id!r}: it is {state.display}",
        )

    # --- listing ----------------------------------------------------------------------------

    def describe(self, transactional_id: str) -> TxnMetadata | None:
        return self.txns.get(transactional_id)

    def list(self) -> list[TxnMetadata]:
        return sorted(self.txns.values(), key=lambda m: m.transactional_id)

    # --- internals --------------------------------------------------------------------------

    def _current(self, transactional_id: str, producer_id: int, producer_epoch: int) -> TxnMetadata:
        m = self.txns.get(transactional_id)
        if m is None or m.producer_id != producer_id:
            raise KafkaError(
                ErrorCode.invalid_producer_id_mapping,
                f"producer {producer_id} is not the producer of {transactional_id!r}",
            )
        if m.producer_epoch != producer_epoch:
            raise KafkaError(
                ErrorCode.producer_fenced,
                f"epoch {producer_epoch} of producer {producer_id} is not the current "
                f"{m.producer_epoch}",
            )
        return m

    def _end(self, m: TxnMetadata, *, commit: bool, bump_epoch: bool) -> bool:
        """Prepare (persisted), markers, complete; False if the markers are still due."""
        new = m.copy()
        if bump_epoch:
            # Kafka's PrepareEpochFence: the abort is written with the next epoch
            new.producer_epoch = m.producer_epoch + 1
            new.last_producer_epoch = NO_EPOCH
        new.transition(PREPARE_COMMIT if commit else PREPARE_ABORT, self.scheduler.now_ms())
        self._write(new)
        return self._complete(new)

    def _complete(self, m: TxnMetadata) -> bool:
        """Write the markers of a prepared transaction and record its completion."""
        commit = m.state == PREPARE_COMMIT
        marker = TxnMarker(
            m.producer_id,
            m.producer_epoch,
            commit,
            self.store.coordinator_epoch(m.transactional_id),
            tuple(sorted(m.partitions)),
        )
        results = self.markers.send(marker)
        pending = sorted(tp for tp, code in results.items() if code not in _MARKER_DONE)
        if pending:
            log.warning(
                "transaction of %r: markers still due on %s; retrying later",
                m.transactional_id,
                ", ".join(f"{t}-{p}" for t, p in pending),
            )
            return False
        new = m.copy()
        new.transition(COMPLETE_COMMIT if commit else COMPLETE_ABORT, self.scheduler.now_ms())
        new.partitions = set()  # the start time stays, as Kafka's DescribeTransactions shows it
        try:
            self._write(new)
        except KafkaError:
            return False  # still prepared: the markers are written again later (harmless)
        return True

    def _write(self, new: TxnMetadata) -> None:
        """Persist then install ``new``; KafkaError(COORDINATOR_NOT_AVAILABLE) if the log
        refused, with nothing changed."""
        tid = new.transactional_id
        try:
            self.store.append(tid, [(fmt.key(tid), fmt.value(new))])
        except KafkaError as e:
            log.error("could not persist transactional id %r: %s", tid, e.message)
            raise KafkaError(ErrorCode.coordinator_not_available, e.message) from e
        self.txns[tid] = new

    # --- timers -----------------------------------------------------------------------------

    def _abort_tick(self) -> None:
        try:
            self.abort_timed_out()
        except Exception:  # a bug here must not stop later passes
            log.exception("aborting timed-out transactions failed")
        self._schedule("abort", self.config.abort_check_interval_ms, self._abort_tick)

    def abort_timed_out(self) -> int:
        """Abort (fencing the producer) every transaction open past its timeout, and retry
        markers of prepared ones; the number aborted."""
        now = self.scheduler.now_ms()
        aborted = 0
        for m in list(self.txns.values()):
            if m.state in PREPARED:
                self._complete(m)
            elif m.state == ONGOING and now - m.txn_start_ms > m.timeout_ms:
                log.info(
                    "aborting the transaction of %r (producer %d): open longer than %d ms",
                    m.transactional_id,
                    m.producer_id,
                    m.timeout_ms,
                )
                try:
                    self._end(m, commit=False, bump_epoch=True)
                    aborted += 1
                except KafkaError:
                    continue
        return aborted

    def _expire_tick(self) -> None:
        try:
            self.expire_ids()
        except Exception:
            log.exception("expiring transactional ids failed")
        self._schedule("expire", self.config.expiration_check_interval_ms, self._expire_tick)

    def expire_ids(self) -> int:
        """Forget ids without a transaction, unused for transactional.id.expiration.ms."""
        now = self.scheduler.now_ms()
        expired = 0
        for m in list(self.txns.values()):
            if m.state not in COMPLETED or now - m.last_update_ms < self.config.id_expiration_ms:
                continue
            tid = m.transactional_id
            try:
                self.store.append(tid, [(fmt.key(tid), None)])
            except KafkaError as e:
                log.error("could not expire transactional id %r: %s", tid, e.message)
                continue
            del self.txns[tid]
            expired += 1
        if expired:
            log.info("expired %d transactional id(s)", expired)
        return expired


def _valid_producer_id(m: TxnMetadata, producer_id: int, epoch: int) -> bool:
    """KIP-360: may a producer presenting (producer_id, epoch) re-initialise this id?"""
    return (
        m.producer_epoch == NO_EPOCH
        or producer_id == m.producer_id
        or (producer_id == m.last_producer_id and epoch >= MAX_EPOCH)
    )
