"""The key and value records of ``__consumer_offsets``: Apache Kafka's own layouts.

All fields big endian; strings are int16 length + UTF-8 (-1 = null), bytes int32 length::

    OffsetCommitKey  v1: version=1 int16, group string, topic string, partition int32
    OffsetCommitValue v3: version=3 int16, offset int64, leader_epoch int32,
                          metadata string, commit_timestamp int64
    GroupMetadataKey v2: version=2 int16, group string
    GroupMetadataValue v3: version=3 int16, protocol_type string, generation int32,
                          protocol string?, leader string?, state_timestamp int64,
                          members [member_id string, group_instance_id string?,
                                   client_id string, client_host string,
                                   rebalance_timeout int32, session_timeout int32,
                                   subscription bytes, assignment bytes]

A null value is a tombstone: the offset or group is deleted (and compaction drops it).
Using Kafka's layouts means Kafka's own tools can read a kctl offsets topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.group.offsets import OffsetAndMetadata
from broker.internal_topics.codec import FormatError, Reader, Writer

__all__ = ["FormatError"]  # raised by the decoders below, caught by the loader

OFFSET_KEY_VERSION = 1
GROUP_KEY_VERSION = 2
OFFSET_VALUE_VERSION = 3
GROUP_VALUE_VERSION = 3


@dataclass(frozen=True, slots=True)
class OffsetKey:
    group: str
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class GroupKey:
    group: str


@dataclass(frozen=True, slots=True)
class StoredMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True, slots=True)
class StoredGroup:
    protocol_type: str
    generation_id: int
    protocol_name: str | None
    leader_id: str | None
    state_timestamp_ms: int
    members: list[StoredMember] = field(default_factory=list)


# --- writing ----------------------------------------------------------------------------------


def offset_key(group: str, topic: str, partition: int) -> bytes:
    w = Writer().i16(OFFSET_KEY_VERSION).string(group).string(topic).i32(partition)
    return bytes(w.out)


def offset_value(om: OffsetAndMetadata) -> bytes:
    w = Writer().i16(OFFSET_VALUE_VERSION).i64(om.offset).i32(om.leader_epoch)
    w.string(om.metadata).i64(om.commit_timestamp_ms)
    return bytes(w.out)


def group_key(group: str) -> bytes:
    return bytes(Writer().i16(GROUP_KEY_VERSION).string(group).out)


def group_value(g: StoredGroup) -> bytes:
    w = Writer().i16(GROUP_VALUE_VERSION).string(g.protocol_type).i32(g.generation_id)
    w.string(g.protocol_name).string(g.leader_id).i64(g.state_timestamp_ms)
    w.i32(len(g.members))
    for m in g.members:
        w.string(m.member_id).string(m.group_instance_id).string(m.client_id)
        w.string(m.client_host).i32(m.rebalance_timeout_ms).i32(m.session_timeout_ms)
        w.bytes_(m.subscription).bytes_(m.assignment)
    return bytes(w.out)


# --- reading ----------------------------------------------------------------------------------


def decode_key(key: bytes) -> OffsetKey | GroupKey:
    r = Reader(key)
    version = r.i16()
    if version in (0, 1):
        return OffsetKey(r.required_string(), r.required_string(), r.i32())
    if version == GROUP_KEY_VERSION:
        return GroupKey(r.required_string())
    raise FormatError(f"unknown key version {version}")


def decode_offset_value(value: bytes) -> OffsetAndMetadata:
    r = Reader(value)
    version = r.i16()
    if version != OFFSET_VALUE_VERSION:
        raise FormatError(f"unsupported offset value version {version}")
    offset, epoch = r.i64(), r.i32()
    metadata = r.string() or ""
    return OffsetAndMetadata(offset, epoch, metadata, r.i64())


def decode_group_value(value: bytes) -> StoredGroup:
    r = Reader(value)
    version = r.i16()
    if version != GROUP_VALUE_VERSION:
        raise FormatError(f"unsupported group value version {version}")
    protocol_type = r.required_string()
    generation = r.i32()
    protocol, leader, ts = r.string(), r.string(), r.i64()
    count = r.i32()
    if count < 0 or count > len(value):
        raise FormatError(f"absurd member count {count}")
    members = [
        StoredMember(
            r.required_string(),
            r.string(),
            r.required_string(),
            r.required_string(),
            r.i32(),
            r.i32(),
            r.bytes_(),
            r.bytes_(),
        )
        for _ in range(count)
    ]
    return StoredGroup(protocol_type, generation, protocol, leader, ts, members)
