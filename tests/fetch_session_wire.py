"""Raw-protocol helpers for the fetch session tests: topics, produce, Fetch at any version."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import uuid
from typing import Any

from kio.schema.create_topics.v7.request import (
    CreatableTopic,
    CreateTopicsRequest,
)
from kio.schema.delete_topics.v4.request import DeleteTopicsRequest

from broker.protocol import records
from tests.wire import WireClient

MAX = 1 << 20


def create_topic(c: WireClient, name: str, partitions: int) -> uuid.UUID:
    """Create ``name``; its topic id."""
    resp = c.request(
        CreateTopicsRequest(
            topics=(
                CreatableTopic(
                    name=name,
                    num_partitions=partitions,
                    replication_factor=1,
                    assignments=(),
                    configs=(),
                ),
            ),
            timeout=datetime.timedelta(seconds=5),
            validate_only=False,
        )
    )
    result = resp.topics[0]
    assert result.error_code == 0, result
    return result.topic_id


def delete_topic(c: WireClient, name: str) -> None:
    resp = c.request(
        DeleteTopicsRequest(topic_names=(name,), timeout=datetime.timedelta(seconds=5))
    )
    assert resp.responses[0].error_code == 0, resp


def produce(c: WireClient, topic: str, partition: int, *values: bytes) -> int:
    """Append one batch of ``values``; its base offset."""
    from kio.schema.produce.v9.request import (
        PartitionProduceData,
        ProduceRequest,
        TopicProduceData,
    )

    batch = records.build_batch([(None, v) for v in values])
    resp = c.request(
        ProduceRequest(
            transactional_id=None,
            acks=-1,
            timeout=datetime.timedelta(seconds=5),
            topic_data=(
                TopicProduceData(
                    name=topic,
                    partition_data=(PartitionProduceData(index=partition, records=batch),),
                ),
            ),
        )
    )
    part = resp.responses[0].partition_responses[0]
    assert part.error_code == 0, part
    return part.base_offset


def _build(cls: type, **fields: Any) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in fields.items() if k in names})


def fetch_request(
    version: int,
    session_id: int,
    epoch: int,
    parts: list[tuple[Any, int, int]] = (),  # type: ignore[assignment]
    forgotten: list[tuple[Any, list[int]]] = (),  # type: ignore[assignment]
    *,
    max_wait_ms: int = 0,
    min_bytes: int = 1,
    max_bytes: int = MAX,
    partition_max_bytes: int = MAX,
    isolation_level: int = 0,
    replica_id: int = -1,
) -> Any:
    """A Fetch of ``parts`` ((topic name, or id from v13, partition, offset) each)."""
    m = importlib.import_module(f"kio.schema.fetch.v{version}.request")
    by_id = version >= 13
    topics: dict[Any, list[Any]] = {}
    for topic, index, offset in parts:
        topics.setdefault(topic, []).append(
            _build(
                m.FetchPartition,
                partition=index,
                current_leader_epoch=-1,
                fetch_offset=offset,
                last_fetched_epoch=-1,
                log_start_offset=-1,
                partition_max_bytes=partition_max_bytes,
            )
        )
    key = "topic_id" if by_id else "topic"
    return _build(
        m.FetchRequest,
        cluster_id=None,
        replica_id=replica_id,
        replica_state=(
            m.ReplicaState(replica_id=replica_id, replica_epoch=-1) if version >= 15 else None
        ),
        max_wait=datetime.timedelta(milliseconds=max_wait_ms),
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        isolation_level=isolation_level,
        session_id=session_id,
        session_epoch=epoch,
        topics=tuple(
            _build(m.FetchTopic, **{key: t}, partitions=tuple(ps)) for t, ps in topics.items()
        ),
        forgotten_topics_data=tuple(
            _build(m.ForgottenTopic, **{key: t}, partitions=tuple(ps)) for t, ps in forgotten
        ),
        rack_id="",
    )


def answered(resp: Any) -> list[tuple[Any, int, Any]]:
    """(topic name or id, partition, PartitionData) of a Fetch response, in its order."""
    out = []
    for t in resp.responses:
        key = getattr(t, "topic_id", None) if not hasattr(t, "topic") else t.topic
        for p in t.partitions:
            out.append((key, p.partition_index, p))
    return out


def values(data: Any) -> list[bytes]:
    """The record values of a partition's records (every batch)."""
    return [r.value for b in records.decode_batches(bytes(data or b"")) for r in b.records]


def read_fetch_response(c: WireClient, version: int) -> Any:
    """The response to a Fetch sent earlier with ``c.send``."""
    from kio.index import load_response_schema
    from kio.serial import entity_reader

    frame = c.recv_frame()
    resp_cls = load_response_schema(1, version)
    pos = 4 + (1 if resp_cls.__flexible__ else 0)  # correlation id, header tagged fields
    return entity_reader(resp_cls)(frame, pos)[0]
