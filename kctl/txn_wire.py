"""The transaction admin requests (KIP-664) over one broker session (kctl.broker_sessions):
FindCoordinator for transactional ids, ListTransactions, DescribeTransactions and
DescribeProducers. confluent-kafka's AdminClient offers none of them.

Each function picks the highest version both sides speak and returns plain dataclasses;
a per-item error code comes back as :class:`kctl.kafka_wire.WireError` in its item's place,
an error of the whole answer is raised as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kio.schema.describe_producers.v0.request import DescribeProducersRequest, TopicRequest
from kio.schema.describe_transactions.v0.request import DescribeTransactionsRequest
from kio.schema.find_coordinator.v1.request import FindCoordinatorRequest as FindCoordinatorV1
from kio.schema.find_coordinator.v2.request import FindCoordinatorRequest as FindCoordinatorV2
from kio.schema.find_coordinator.v3.request import FindCoordinatorRequest as FindCoordinatorV3
from kio.schema.find_coordinator.v4.request import FindCoordinatorRequest as FindCoordinatorV4
from kio.schema.list_transactions.v0.request import ListTransactionsRequest as ListV0
from kio.schema.list_transactions.v1.request import ListTransactionsRequest as ListV1
from kio.static.primitive import i8, i32, i64

from kctl.broker_sessions import BrokerSession
from kctl.client import BrokerInfo
from kctl.kafka_wire import WireError, check
from kctl.txn_schema import DescribeTransactionsResponse

FIND_COORDINATOR, DESCRIBE_PRODUCERS, DESCRIBE_TRANSACTIONS, LIST_TRANSACTIONS = 10, 61, 65, 66
TRANSACTION_KEY_TYPE = i8(1)
NO_DURATION = -1


@dataclass(frozen=True)
class Listing:
    transactional_id: str
    producer_id: int
    state: str


@dataclass(frozen=True)
class ListAnswer:
    transactions: list[Listing]
    unknown_states: list[str]  # state filters the coordinator does not know


@dataclass(frozen=True)
class Description:
    transactional_id: str
    state: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    start_ms: int  # -1: no transaction open
    partitions: list[tuple[str, int]]


@dataclass(frozen=True)
class ProducerInfo:
    producer_id: int
    producer_epoch: int
    last_sequence: int
    last_timestamp: int
    coordinator_epoch: int
    txn_start_offset: int  # -1: no open transaction


def _error(code: int, message: str | None) -> WireError | None:
    return WireError(int(code), message) if code else None


def find_coordinators(
    session: BrokerSession, ids: Sequence[str]
) -> dict[str, BrokerInfo | WireError]:
    """The transaction coordinator of each id (v4 asks for all at once)."""
    version = session.version(FIND_COORDINATOR, "FindCoordinator", 1, 4)
    found: dict[str, BrokerInfo | WireError] = {}
    if version >= 4:
        answer = session.request(
            FindCoordinatorV4(key_type=TRANSACTION_KEY_TYPE, coordinator_keys=tuple(ids)))
        for c in answer.coordinators:
            found[c.key] = (_error(c.error_code, c.error_message)
                            or BrokerInfo(int(c.node_id), c.host, int(c.port)))
        return found
    request = {1: FindCoordinatorV1, 2: FindCoordinatorV2, 3: FindCoordinatorV3}[version]
    for tid in ids:
        a = session.request(request(key=tid, key_type=TRANSACTION_KEY_TYPE))
        found[tid] = (_error(a.error_code, a.error_message)
                      or BrokerInfo(int(a.node_id), a.host, int(a.port)))
    return found


def list_transactions(
    session: BrokerSession, states: Iterable[str], producer_ids: Iterable[int],
    duration_ms: int = NO_DURATION,
) -> ListAnswer:
    """The transactions this coordinator holds; ``duration_ms`` (v1) keeps those running at
    least that long."""
    lowest = 1 if duration_ms >= 0 else 0
    version = session.version(LIST_TRANSACTIONS, "ListTransactions", lowest, 1)
    fields = dict(state_filters=tuple(states),
                  producer_id_filters=tuple(i64(p) for p in producer_ids))
    request = (ListV1(**fields, duration_filter=i64(duration_ms)) if version >= 1
               else ListV0(**fields))
    answer = session.request(request)
    check(answer.error_code, None)
    return ListAnswer(
        [Listing(t.transactional_id, int(t.producer_id), t.transaction_state)
         for t in answer.transaction_states],
        list(answer.unknown_state_filters),
    )


def describe_transactions(
    session: BrokerSession, ids: Sequence[str]
) -> dict[str, Description | WireError]:
    session.version(DESCRIBE_TRANSACTIONS, "DescribeTransactions", 0, 0)
    answer = session.request(DescribeTransactionsRequest(transactional_ids=tuple(ids)),
                             DescribeTransactionsResponse)
    out: dict[str, Description | WireError] = {}
    for t in answer.transaction_states:
        out[t.transactional_id] = _error(t.error_code, None) or Description(
            transactional_id=t.transactional_id,
            state=t.transaction_state,
            producer_id=int(t.producer_id),
            producer_epoch=int(t.producer_epoch),
            timeout_ms=int(t.transaction_timeout.total_seconds() * 1000),
            start_ms=int(t.transaction_start_time),
            partitions=sorted((d.topic, int(p)) for d in t.topics for p in d.partitions),
        )
    return out


def describe_producers(
    session: BrokerSession, partitions: Mapping[str, Sequence[int]]
) -> dict[tuple[str, int], list[ProducerInfo] | WireError]:
    """The producers each partition's log knows (ask the partition's leader)."""
    session.version(DESCRIBE_PRODUCERS, "DescribeProducers", 0, 0)
    request = DescribeProducersRequest(topics=tuple(
        TopicRequest(name=topic, partition_indexes=tuple(i32(p) for p in parts))
        for topic, parts in partitions.items()
    ))
    answer = session.request(request)
    out: dict[tuple[str, int], list[ProducerInfo] | WireError] = {}
    for t in answer.topics:
        for p in t.partitions:
            out[(t.name, int(p.partition_index))] = _error(p.error_code, p.error_message) or [
                ProducerInfo(int(s.producer_id), int(s.producer_epoch), int(s.last_sequence),
                             int(s.last_timestamp), int(s.coordinator_epoch),
                             int(s.current_txn_start_offset))
                for s in p.active_producers
            ]
    return out

