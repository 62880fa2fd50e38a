"""Build kio requests of any API version by field name, for the raw-protocol tests."""

from __future__ import annotations

import sys
from typing import Any

from kio.index import load_request_schema

from broker.handlers.context import make


def req(api_key: int, version: int, /, **fields: Any) -> Any:
    return make(load_request_schema(api_key, version), **fields)


def part(api_key: int, version: int, class_name: str, /, **fields: Any) -> Any:
    module = sys.modules[load_request_schema(api_key, version).__module__]
    return make(getattr(module, class_name), **fields)


def elect_leaders(version: int, topics: dict[str, list[int]] | None, election: int = 0) -> Any:
    named = None
    if topics is not None:
        named = tuple(
            part(43, version, "TopicPartitions", topic=t, partitions=tuple(ps))
            for t, ps in topics.items()
        )
    return req(43, version, topic_partitions=named, election_type=election, timeout=10_000)


def alter_reassignments(topics: dict[str, dict[int, list[int] | None]]) -> Any:
    return req(
        45,
        0,
        timeout=10_000,
        topics=tuple(
            part(
                45,
                0,
                "ReassignableTopic",
                name=t,
                partitions=tuple(
                    part(
                        45,
                        0,
                        "ReassignablePartition",
                        partition_index=i,
                        replicas=None if r is None else tuple(r),
                    )
                    for i, r in ps.items()
                ),
            )
            for t, ps in topics.items()
        ),
    )


def list_reassignments(topics: dict[str, list[int]] | None) -> Any:
    named = None
    if topics is not None:
        named = tuple(
            part(46, 0, "ListPartitionReassignmentsTopics", name=t, partition_indexes=tuple(ps))
            for t, ps in topics.items()
        )
    return req(46, 0, timeout=10_000, topics=named)


def describe_quorum(version: int, topics: dict[str, list[int]] | None = None) -> Any:
    topics = {"__cluster_metadata": [0]} if topics is None else topics
    return req(
        55,
        version,
        topics=tuple(
            part(
                55,
                version,
                "TopicData",
                topic_name=t,
                partitions=tuple(part(55, version, "PartitionData", partition_index=i) for i in ps),
            )
            for t, ps in topics.items()
        ),
    )
