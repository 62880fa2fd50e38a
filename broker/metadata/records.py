"""Cluster metadata records, modelled on Apache Kafka's KRaft records.

Encoding: each record is one compact JSON object, ``{"type": "<class name>", "version": N,
"data": {...}}``, with UUIDs as their canonical text, bytes as base64 and tuples as arrays. It
is stored as the value of one record in a v2 record batch (see store.py). Why JSON rather than
Kafka's binary ApiMessage format: the records are few and small, a dump of the metadata log
stays readable with any tool that prints record values, and adding a field with a default
stays backward compatible. A record type this broker does not know, a version newer than it
writes, or a field of the wrong type is a MetadataRecordError, never a silent guess.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

TOPIC_RESOURCE, BROKER_RESOURCE, GROUP_RESOURCE = 2, 4, 32  # Kafka's ConfigResource types
NO_LEADER = -1
VERSION = 0  # the version this broker writes; decode accepts 0..VERSION


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
    """A leader or replica-set change; None means unchanged (Kafka: -2 / null).

    Applying it bumps the partition epoch; a new leader also bumps the leader epoch.
    """

    topic_id: uuid.UUID
    partition: int
    leader: int | None = None  # NO_LEADER when the partition is offline
    isr: tuple[int, ...] | None = None
    replicas: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class RemoveTopicRecord:
    """Deletes the topic, its partitions and its config overrides (as Kafka's replay does)."""

    topic_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ConfigRecord:
    resource_type: int  # TOPIC_RESOURCE, BROKER_RESOURCE or GROUP_RESOURCE
    # topic name; broker id, or "" for the cluster-wide broker default; group id
    resource_name: str
    name: str
    value: str | None  # None removes the config


@dataclass(frozen=True, slots=True)
class ProducerIdsRecord:
    """Producer ids below ``next_producer_id`` are handed out: never give them again."""

    broker_id: int
    next_producer_id: int


@dataclass(frozen=True, slots=True)
class FeatureLevelRecord:
    name: str
    level: int  # 0 removes the feature


@dataclass(frozen=True, slots=True)
class UserScramCredentialRecord:
    """A user's salted SCRAM credential for one mechanism (the password itself is never kept)."""

    name: str
    mechanism: int  # Kafka's ScramMechanism type: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512
    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


@dataclass(frozen=True, slots=True)
class RemoveUserScramCredentialRecord:
    name: str
    mechanism: int


@dataclass(frozen=True, slots=True)
class AccessControlEntryRecord:
    """One ACL binding; the codes are Kafka's AclResourceType, PatternType, AclOperation and
    AclPermissionType values."""

    id: uuid.UUID
    resource_type: int
    resource_name: str
    pattern_type: int
    principal: str
    host: str
    operation: int
    permission_type: int


@dataclass(frozen=True, slots=True)
class RemoveAccessControlEntryRecord:
    id: uuid.UUID


# A client quota entity: (entity type, name) pairs, sorted by type; a None name is the
# type's default entity (Kafka's ClientQuotaEntity, e.g. (("client-id", None), ("user", "bob"))).
QuotaEntity = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class ClientQuotaRecord:
    """Kafka's ClientQuotaRecord (metadata record type 14): sets one quota key of an entity to
    ``value``, or removes it."""

    entity: QuotaEntity
    key: str
    value: float = 0.0
    remove: bool = False


MetadataRecord = (
    TopicRecord
    | PartitionRecord
    | PartitionChangeRecord
    | RemoveTopicRecord
    | ConfigRecord
    | ProducerIdsRecord
    | FeatureLevelRecord
    | UserScramCredentialRecord
    | RemoveUserScramCredentialRecord
    | AccessControlEntryRecord
    | RemoveAccessControlEntryRecord
    | ClientQuotaRecord
)

RECORD_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        TopicRecord,
        PartitionRecord,
        PartitionChangeRecord,
        RemoveTopicRecord,
        ConfigRecord,
        ProducerIdsRecord,
        FeatureLevelRecord,
        UserScramCredentialRecord,
        RemoveUserScramCredentialRecord,
        AccessControlEntryRecord,
        RemoveAccessControlEntryRecord,
        ClientQuotaRecord,
    )
}


class MetadataRecordError(ValueError):
    """A stored metadata record this broker cannot read or apply."""


def encode(record: MetadataRecord) -> bytes:
    if type(record).__name__ not in RECORD_TYPES:
        raise MetadataRecordError(f"{type(record).__name__} is not a metadata record")
    body = {k: _to_json(v) for k, v in asdict(record).items()}
    doc = {"type": type(record).__name__, "version": VERSION, "data": body}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def decode(data: bytes) -> MetadataRecord:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise MetadataRecordError(f"metadata record is not JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise MetadataRecordError("metadata record lacks its type, version or data")
    name, version = doc.get("type"), doc.get("version")
    cls = RECORD_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise MetadataRecordError(f"unknown metadata record type {name!r}")
    if not isinstance(version, int) or not 0 <= version <= VERSION:
        raise MetadataRecordError(
            f"{name} version {version!r} is newer than this broker reads (up to {VERSION})"
        )
    kwargs = {}
    for f in fields(cls):
        if f.name not in doc["data"]:
            if f.default is MISSING:
                raise MetadataRecordError(f"{name} lacks field {f.name}")
            continue
        try:
            kwargs[f.name] = _from_json(str(f.type), doc["data"][f.name])
        except (TypeError, ValueError):
            raise MetadataRecordError(
                f"{name}.{f.name}: {doc['data'][f.name]!r} is not a {f.type}"
            ) from None
    return cls(**kwargs)


def _from_json(annotation: str, value: Any) -> Any:
    if annotation.endswith(" | None"):
        return None if value is None else _from_json(annotation[: -len(" | None")], value)
    if annotation == "uuid.UUID" and isinstance(value, str):
        return uuid.UUID(value)
    if annotation == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if annotation == "str" and isinstance(value, str):
        return value
    if annotation == "bytes" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError(annotation) from None
    if annotation == "tuple[int, ...]" and isinstance(value, list):
        return tuple(_from_json("int", x) for x in value)
    if annotation == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if annotation == "bool" and isinstance(value, bool):
        return value
    if annotation == "QuotaEntity" and isinstance(value, list):
        return tuple(_quota_entity_part(x) for x in value)
    raise TypeError(annotation)


def _quota_entity_part(value: Any) -> tuple[str, str | None]:
    if not (isinstance(value, list) and len(value) == 2):
        raise TypeError("QuotaEntity")
    return _from_json("str", value[0]), _from_json("str | None", value[1])
