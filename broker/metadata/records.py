"""Cluster metadata records, modelled on Kafka's KRaft records.

Each record is stored as the value of a record in a v2 record batch (see store.py), encoded as
compact JSON with a type tag and a version: readable with any Kafka tool that dumps values,
and easy to evolve. A Raft quorum will later replicate exactly these batches.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, fields

TOPIC_RESOURCE, BROKER_RESOURCE = 2, 4


@dataclass(frozen=True, slots=True)
class TopicRecord:
    name: str
    topic_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PartitionRecord:
    topic_id: uuid.UUID
    partition: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    leader: int
    leader_epoch: int = 0
    partition_epoch: int = 0


@dataclass(frozen=True, slots=True)
class PartitionChangeRecord:
    topic_id: uuid.UUID
    partition: int
    leader: int
    isr: tuple[int, ...]
    leader_epoch: int


@dataclass(frozen=True, slots=True)
class RemoveTopicRecord:
    topic_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    resource_type: int
    resource_name: str
    name: str
    value: str | None  # None removes the config


@dataclass(frozen=True, slots=True)
class ProducerIdsRecord:
    broker_id: int
    next_producer_id: int


RECORD_TYPES = {
    cls.__name__: cls
    for cls in (
        TopicRecord,
        PartitionRecord,
        PartitionChangeRecord,
        RemoveTopicRecord,
        ConfigRecord,
        ProducerIdsRecord,
    )
}
VERSION = 0


class MetadataRecordError(ValueError):
    """A stored metadata record this version of the broker cannot read."""


def encode(record: object) -> bytes:
    body = asdict(record)  # type: ignore[call-overload]
    for k, v in body.items():
        if isinstance(v, uuid.UUID):
            body[k] = str(v)
    return json.dumps(
        {"type": type(record).__name__, "version": VERSION, "data": body}, separators=(",", ":")
    ).encode()


def decode(data: bytes) -> object:
    try:
        doc = json.loads(data)
        cls = RECORD_TYPES[doc["type"]]
    except (ValueError, KeyError, TypeError) as e:
        raise MetadataRecordError(f"unreadable metadata record: {e}") from e
    kwargs = {}
    for f in fields(cls):
        v = doc["data"].get(f.name)
        if "UUID" in str(f.type):
            v = uuid.UUID(v)
        elif "tuple" in str(f.type):
            v = tuple(v)
        kwargs[f.name] = v
    return cls(**kwargs)
