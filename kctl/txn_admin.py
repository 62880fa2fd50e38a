"""Transactions across a cluster, as Kafka's admin client gathers them (KIP-664).

* :func:`list_transactions` asks every broker in the metadata: each answers only for the
  transactional ids it coordinates.
* :func:`describe` finds each id's coordinator (FindCoordinator, key type 1) and asks it.
* :func:`producers` asks each partition's leader (or one chosen broker) DescribeProducers.

Requests go over kctl's own connections (kctl.broker_sessions, kctl.txn_wire). Coordinator
errors that Kafka's clients retry (loading, moved, not available) are retried until the
timeout. Failures become one-line :class:`kctl.console.KctlError`s; a broker lacking an API
is exit 9, whichever command hit it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from kio.schema.errors import ErrorCode

from kctl import broker_sessions, txn_wire
from kctl.broker_sessions import BrokerSessions
from kctl.client import BrokerInfo, Cluster
from kctl.console import ExitCode, KctlError
from kctl.kafka_wire import WireError
from kctl.txn_wire import Description, Listing, ProducerInfo

T = TypeVar("T")

RETRY_BACKOFF = 0.2  # seconds between tries while a coordinator loads or moves
_RETRIED = {ErrorCode.coordinator_load_in_progress, ErrorCode.coordinator_not_available,
            ErrorCode.not_coordinator}


def wire_error(e: WireError, what: str, subject: str = "") -> KctlError:
    """An error code from an answer as kctl's one-line error."""
    code = e.error.code()
    if code == ErrorCode.transactional_id_not_found:
        return KctlError(f"transactional id {subject!r} does not exist", ExitCode.NOT_FOUND)
    if e.error.str().startswith("Err-"):  # a code librdkafka does not know: name it
        try:
            name = ErrorCode(code).name.upper()
        except ValueError:
            name = f"error code {code}"
        return KctlError(f"{what}: {name}", ExitCode.ERROR)
    return broker_sessions.answer_error(e, what)


def _retriable(e: WireError) -> bool:
    return e.error.code() in _RETRIED


def guarded(what: str, call: Callable[[], T]) -> T:
    """broker_sessions.guarded, naming a transactional id that does not exist."""
    return broker_sessions.guarded(what, call, wire_error)


def _sessions(cluster: Cluster) -> BrokerSessions:
    return BrokerSessions(cluster.config(), cluster.timeout)


# --- list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    coordinator: int
    transactional_id: str
    producer_id: int
    state: str


@dataclass
class ListResult:
    transactions: list[Listed] = field(default_factory=list)
    unknown_states: set[str] = field(default_factory=set)
    failures: list[KctlError] = field(default_factory=list)  # brokers that could not answer
    brokers: int = 0  # how many were asked


def list_transactions(
    cluster: Cluster, states: Sequence[str] = (), producer_ids: Sequence[int] = (),
    duration_ms: int = txn_wire.NO_DURATION,
) -> ListResult:
    """Every transaction the brokers coordinate, sorted by coordinator and id."""
    brokers = cluster.cluster_view().brokers
    result = ListResult(brokers=len(brokers))
    with _sessions(cluster) as sessions:
        for b in brokers:
            what = f"list transactions at broker {b.node_id}"
            try:
                answer = guarded(what, lambda b=b: _retry(cluster, lambda: (
                    txn_wire.list_transactions(sessions.get(b.host, b.port, b.node_id),
                                               states, producer_ids, duration_ms))))
            except KctlError as e:
                if e.code is ExitCode.UNSUPPORTED:
                    raise  # no complete listing is possible
                result.failures.append(e)
                continue
            result.unknown_states.update(answer.unknown_states)
            result.transactions += [_listed(b.node_id, t) for t in answer.transactions]
    result.transactions.sort(key=lambda t: (t.coordinator, t.transactional_id))
    return result


def _listed(node_id: int, t: Listing) -> Listed:
    return Listed(node_id, t.transactional_id, t.producer_id, t.state)


def _retry(cluster: Cluster, call: Callable[[], T]) -> T:
    """``call()``, again while it raises a retriable coordinator error, until the timeout."""
    deadline = time.monotonic() + cluster.timeout
    while True:
        try:
            return call()
        except WireError as e:
            if not _retriable(e) or time.monotonic() + RETRY_BACKOFF > deadline:
                raise
        time.sleep(RETRY_BACKOFF)


# --- describe --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    coordinator: int
    description: Description


def describe(cluster: Cluster, ids: Sequence[str]) -> dict[str, Described | KctlError]:
    """Each id's description from its coordinator, or why there is none (in ``ids`` order)."""
    results: dict[str, Described | KctlError] = {}
    pending = list(dict.fromkeys(ids))
    deadline = time.monotonic() + cluster.timeout
    with _sessions(cluster) as sessions:
        while pending:
            retry = guarded("describe transactions",
                            lambda p=pending: _describe_round(sessions, p, results))
            if not retry or time.monotonic() + RETRY_BACKOFF > deadline:
                for tid, e in retry.items():
                    results[tid] = wire_error(e, f"describe transaction {tid!r}", tid)
                break
            pending = list(retry)
            time.sleep(RETRY_BACKOFF)
    return {tid: results[tid] for tid in dict.fromkeys(ids)}


def _describe_round(
    sessions: BrokerSessions, ids: list[str], results: dict[str, Described | KctlError]
) -> dict[str, WireError]:
    """Describe ``ids`` once; fill ``results`` and return the retriable failures."""
    retry: dict[str, WireError] = {}
    found = txn_wire.find_coordinators(sessions.bootstrap(), ids)
    by_node: dict[BrokerInfo, list[str]] = {}
    for tid in ids:
        c = found.get(tid)
        if isinstance(c, BrokerInfo):
            by_node.setdefault(c, []).append(tid)
        elif c is not None and _retriable(c):
            retry[tid] = c
        else:
            error = c or WireError(ErrorCode.unknown_server_error, "no coordinator in the answer")
            results[tid] = wire_error(error, f"find the coordinator of {tid!r}", tid)
    for c, tids in by_node.items():
        answers = txn_wire.describe_transactions(sessions.get(c.host, c.port, c.node_id), tids)
        for tid in tids:
            a = answers.get(tid)
            if isinstance(a, Description):
                results[tid] = Described(c.node_id, a)
            elif a is not None and _retriable(a):
                retry[tid] = a
            else:
                error = a or WireError(ErrorCode.unknown_server_error, "left out of the answer")
                results[tid] = wire_error(error, f"describe transaction {tid!r}", tid)
    return retry


# --- producers -------------------------------------------------------------------------------

TopicPartition = tuple[str, int]


def producers(
    cluster: Cluster, partitions: Iterable[TopicPartition], broker: int | None = None
) -> dict[TopicPartition, list[ProducerInfo] | KctlError]:
    """The producers of each partition, from its leader (or from ``broker``, a replica)."""
    view = cluster.cluster_view()
    nodes = {b.node_id: b for b in view.brokers}
    if broker is not None and broker not in nodes:
        raise KctlError(f"broker {broker} is not in the cluster", ExitCode.NOT_FOUND)
    leaders = {(p.topic, p.partition): p.leader for t in view.topics for p in t.partitions}
    results: dict[TopicPartition, list[ProducerInfo] | KctlError] = {}
    asked: dict[int, dict[str, list[int]]] = {}
    wanted = list(dict.fromkeys(partitions))
    for tp in wanted:
        if tp not in leaders:
            results[tp] = KctlError(f"partition {tp[0]}:{tp[1]} does not exist",
                                    ExitCode.NOT_FOUND)
            continue
        node = broker if broker is not None else leaders[tp]
        if node not in nodes:
            results[tp] = KctlError(f"partition {tp[0]}:{tp[1]} has no leader")
            continue
        asked.setdefault(node, {}).setdefault(tp[0], []).append(tp[1])
    with _sessions(cluster) as sessions:
        for node, topics in asked.items():
            b = nodes[node]
            answers = guarded(
                "describe producers",
                lambda b=b, topics=topics: txn_wire.describe_producers(
                    sessions.get(b.host, b.port, b.node_id), topics))
            for topic, parts in topics.items():
                for p in parts:
                    a = answers.get((topic, p))
                    what = f"producers of {topic}:{p} at broker {node}"
                    if isinstance(a, WireError):
                        results[(topic, p)] = wire_error(a, what)
                    elif a is None:
                        results[(topic, p)] = KctlError(f"{what}: left out of the answer")
                    else:
                        results[(topic, p)] = a
    return {tp: results[tp] for tp in wanted}
