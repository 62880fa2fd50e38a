"""The metadata quorum of a KRaft cluster from DescribeQuorum, as kafka-metadata-quorum.sh
describes it: leader, epoch, high watermark, and each voter and observer with its lag.

confluent-kafka's AdminClient cannot ask for it, so the request goes over kctl's own
connection to a bootstrap broker (kctl.broker_sessions), which has the quorum leader answer.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from kio.index import load_request_schema

from kctl.broker_sessions import BrokerSession, with_bootstrap
from kctl.client import Cluster
from kctl.kafka_wire import check

DESCRIBE_QUORUM = 55
METADATA_TOPIC = "__cluster_metadata"
WHAT = "cannot describe the metadata quorum"


@dataclass(frozen=True)
class Replica:
    node_id: int
    status: str  # Leader, Follower or Observer
    log_end_offset: int  # -1: unknown
    last_fetch_ms: int | None  # None: unknown (or v0, which has no times)
    last_caught_up_ms: int | None
    directory_id: str | None  # v2; None also for the zero id of a fixed voter
    endpoints: list[str]  # v2: the voter's listeners as NAME://host:port


@dataclass(frozen=True)
class Quorum:
    leader_id: int
    leader_epoch: int
    high_watermark: int
    replicas: list[Replica]  # voters first, then observers


def describe(cluster: Cluster) -> Quorum:
    """Ask a bootstrap broker; failures as one-line KctlErrors (exit 9 without the API)."""
    return with_bootstrap(cluster, WHAT, _describe)


def _describe(session: BrokerSession) -> Quorum:
    version = session.version(DESCRIBE_QUORUM, "DescribeQuorum", 0, 2)
    answer = session.request(_request(version))
    check(answer.error_code, getattr(answer, "error_message", None))
    [partition] = [p for t in answer.topics for p in t.partitions]
    check(partition.error_code, getattr(partition, "error_message", None))
    return _quorum(partition, getattr(answer, "nodes", ()))


def _request(version: int) -> Any:
    cls = load_request_schema(DESCRIBE_QUORUM, version)
    kinds = sys.modules[cls.__module__]
    partition = kinds.PartitionData(partition_index=0)
    return cls(topics=(kinds.TopicData(topic_name=METADATA_TOPIC, partitions=(partition,)),))


def _quorum(p: Any, nodes: Any) -> Quorum:
    endpoints = {
        n.node_id: [f"{x.name}://{_host(x.host)}:{x.port}" for x in n.listeners] for n in nodes
    }

    def replica(r: Any, status: str) -> Replica:
        directory = getattr(r, "replica_directory_id", None)
        return Replica(
            node_id=r.replica_id,
            status=status,
            log_end_offset=r.log_end_offset,
            last_fetch_ms=_known(getattr(r, "last_fetch_timestamp", -1)),
            last_caught_up_ms=_known(getattr(r, "last_caught_up_timestamp", -1)),
            directory_id=None if directory is None or directory.int == 0 else str(directory),
            endpoints=endpoints.get(r.replica_id, []),
        )

    voters = [replica(r, "Leader" if r.replica_id == p.leader_id else "Follower")
              for r in p.current_voters]
    observers = [replica(r, "Observer") for r in p.observers]
    return Quorum(p.leader_id, p.leader_epoch, p.high_watermark, voters + observers)


def _known(ms: int) -> int | None:
    return None if ms < 0 else ms


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
