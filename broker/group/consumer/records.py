"""The consumer-group records of ``__consumer_offsets``, in Apache Kafka 4.0's layouts, and
their replay onto the groups.

Keys are non-flexible: ``int16 record type`` then the fields (strings int16 length + UTF-8).
Values start with ``int16 version`` (0) and use the flexible encoding: compact strings and
arrays (unsigned varint length + 1), uuids as 16 bytes, and an empty tagged-field section at
the end of every struct::

    3 ConsumerGroupMetadata            key group        value epoch int32
    4 ConsumerGroupPartitionMetadata   key group        value topics [id, name, partitions,
                                                              racks []]
    5 ConsumerGroupMemberMetadata      key group member value instance?, rack?, client id,
                                                              client host, topic names [],
                                                              regex?, rebalance timeout,
                                                              server assignor?
    6 ConsumerGroupTargetAssignmentMetadata key group   value assignment epoch int32
    7 ConsumerGroupTargetAssignmentMember   key group member value [topic id, partitions []]
    8 ConsumerGroupCurrentMemberAssignment  key group member value member epoch, previous
                                                              epoch, state int8, assigned [],
                                                              pending revocation []

A null value deletes. Each change the coordinator makes is a list of these records, written
in one batch and then applied with ``apply``; start-up applies them in log order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from broker.group.consumer.model import (
    ConsumerGroup,
    ConsumerMember,
    MemberSubscription,
    TopicMetadata,
)
from broker.group.consumer.reconciliation import MemberAssignment, MemberState, Partitions
from broker.internal_topics.codec import FormatError, Reader, Writer
from broker.protocol.varint import write_uvarint

GROUP_METADATA = 3
PARTITION_METADATA = 4
MEMBER_METADATA = 5
TARGET_METADATA = 6
TARGET_MEMBER = 7
CURRENT_ASSIGNMENT = 8
KEY_TYPES = frozenset(range(GROUP_METADATA, CURRENT_ASSIGNMENT + 1))
VALUE_VERSION = 0


@dataclass(frozen=True, slots=True)
class GroupEpoch:
    group_id: str
    epoch: int | None  # None: the group is deleted


@dataclass(frozen=True, slots=True)
class SubscriptionMetadata:
    group_id: str
    topics: dict[str, TopicMetadata] | None


@dataclass(frozen=True, slots=True)
class MemberMetadata:
    group_id: str
    member_id: str
    subscription: MemberSubscription | None


@dataclass(frozen=True, slots=True)
class TargetEpoch:
    group_id: str
    epoch: int | None


@dataclass(frozen=True, slots=True)
class TargetMember:
    group_id: str
    member_id: str
    partitions: Partitions | None


@dataclass(frozen=True, slots=True)
class CurrentAssignment:
    group_id: str
    member_id: str
    assignment: MemberAssignment | None


Record = GroupEpoch | SubscriptionMetadata | MemberMetadata | TargetEpoch | TargetMember
Record = Record | CurrentAssignment


# --- the flexible encoding of values ------------------------------------------------------------


class _FlexWriter(Writer):
    def uvarint(self, v: int) -> _FlexWriter:
        write_uvarint(self.out, v)
        return self

    def cstring(self, s: str | None) -> _FlexWriter:
        if s is None:
            return self.uvarint(0)
        b = s.encode()
        self.uvarint(len(b) + 1)
        self.out += b
        return self

    def uuid(self, u: uuid.UUID) -> _FlexWriter:
        self.out += u.bytes
        return self

    def no_tags(self) -> _FlexWriter:
        return self.uvarint(0)

    def partitions(self, parts: Partitions) -> _FlexWriter:
        self.uvarint(len(parts) + 1)
        for topic in sorted(parts, key=str):
            self.uuid(topic).uvarint(len(parts[topic]) + 1)
            for p in sorted(parts[topic]):
                self.i32(p)
            self.no_tags()
        return self


class _FlexReader(Reader):
    def uvarint(self) -> int:
        shift = value = 0
        while True:
            b = self._unpack(">B", 1)
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise FormatError("varint too long")

    def length(self) -> int:
        """A compact array's element count (-1 = null), bounded by the bytes left."""
        n = self.uvarint() - 1
        if n > len(self.data) - self.pos:
            raise FormatError(f"absurd element count {n}")
        return n

    def cstring(self) -> str | None:
        n = self.uvarint() - 1
        if n < 0:
            return None
        return self._take(n).decode("utf-8")

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(bytes=self._take(16))

    def skip_tags(self) -> None:
        for _ in range(self.uvarint()):
            self.uvarint()
            self._take(self.uvarint())

    def partitions(self) -> dict[uuid.UUID, frozenset[int]]:
        out = {}
        for _ in range(max(self.length(), 0)):
            topic = self.uuid()
            out[topic] = frozenset(self.i32() for _ in range(max(self.length(), 0)))
            self.skip_tags()
        return out


# --- encoding -----------------------------------------------------------------------------------


def encode(record: Record) -> tuple[bytes, bytes | None]:
    """The (key, value) of a record; value None for a deletion."""
    k = Writer()
    v = _FlexWriter().i16(VALUE_VERSION)
    match record:
        case GroupEpoch(group_id, epoch):
            k.i16(GROUP_METADATA).string(group_id)
            if epoch is None:
                return k.done(), None
            v.i32(epoch).no_tags()
        case SubscriptionMetadata(group_id, topics):
            k.i16(PARTITION_METADATA).string(group_id)
            if topics is None:
                return k.done(), None
            v.uvarint(len(topics) + 1)
            for name in sorted(topics):
                t = topics[name]
                v.uuid(t.topic_id).cstring(t.name).i32(t.partitions).uvarint(1).no_tags()
            v.no_tags()
        case MemberMetadata(group_id, member_id, s):
            k.i16(MEMBER_METADATA).string(group_id).string(member_id)
            if s is None:
                return k.done(), None
            v.cstring(s.instance_id).cstring(s.rack_id).cstring(s.client_id)
            v.cstring(s.client_host).uvarint(len(s.topic_names) + 1)
            for name in s.topic_names:
                v.cstring(name)
            v.cstring(s.topic_regex).i32(s.rebalance_timeout_ms).cstring(s.server_assignor)
            v.no_tags()
        case TargetEpoch(group_id, epoch):
            k.i16(TARGET_METADATA).string(group_id)
            if epoch is None:
                return k.done(), None
            v.i32(epoch).no_tags()
        case TargetMember(group_id, member_id, parts):
            k.i16(TARGET_MEMBER).string(group_id).string(member_id)
            if parts is None:
                return k.done(), None
            v.partitions(parts).no_tags()
        case CurrentAssignment(group_id, member_id, a):
            k.i16(CURRENT_ASSIGNMENT).string(group_id).string(member_id)
            if a is None:
                return k.done(), None
            v.i32(a.member_epoch).i32(a.previous_member_epoch).i8(int(a.state))
            v.partitions(a.assigned).partitions(a.pending_revocation).no_tags()
    return k.done(), v.done()


def decode(key: bytes, value: bytes | None) -> Record:
    """A record from its key (whose type is one of KEY_TYPES) and value; FormatError if bad."""
    k = Reader(key)
    kind = k.i16()
    group_id = k.required_string()
    member_id = (
        k.required_string() if kind in (MEMBER_METADATA, TARGET_MEMBER, CURRENT_ASSIGNMENT) else ""
    )
    r = None
    if value is not None:
        r = _FlexReader(value)
        if r.i16() != VALUE_VERSION:
            raise FormatError(f"unsupported consumer group value version in record type {kind}")
    if kind == GROUP_METADATA:
        return GroupEpoch(group_id, None if r is None else r.i32())
    if kind == TARGET_METADATA:
        return TargetEpoch(group_id, None if r is None else r.i32())
    if kind == PARTITION_METADATA:
        if r is None:
            return SubscriptionMetadata(group_id, None)
        topics = {}
        for _ in range(max(r.length(), 0)):
            topic_id, name, count = r.uuid(), r.cstring() or "", r.i32()
            for _ in range(max(r.length(), 0)):  # partition racks: not used here
                r.i32()
                for _ in range(max(r.length(), 0)):
                    r.cstring()
                r.skip_tags()
            r.skip_tags()
            topics[name] = TopicMetadata(topic_id, name, count)
        return SubscriptionMetadata(group_id, topics)
    if kind == MEMBER_METADATA:
        if r is None:
            return MemberMetadata(group_id, member_id, None)
        instance_id, rack_id = r.cstring(), r.cstring()
        client_id, client_host = r.cstring() or "", r.cstring() or ""
        names = tuple(r.cstring() or "" for _ in range(max(r.length(), 0)))
        regex, timeout, assignor = r.cstring(), r.i32(), r.cstring()
        sub = MemberSubscription(
            member_id, instance_id, rack_id, client_id, client_host, names, regex, assignor, timeout
        )
        return MemberMetadata(group_id, member_id, sub)
    if kind == TARGET_MEMBER:
        return TargetMember(group_id, member_id, None if r is None else r.partitions())
    if kind == CURRENT_ASSIGNMENT:
        if r is None:
            return CurrentAssignment(group_id, member_id, None)
        epoch, previous, state = r.i32(), r.i32(), r.i8()
        try:
            member_state = MemberState(state)
        except ValueError:
            member_state = MemberState.UNKNOWN
        assigned, pending = r.partitions(), r.partitions()
        a = MemberAssignment(epoch, previous, member_state, assigned, pending)
        return CurrentAssignment(group_id, member_id, a)
    raise FormatError(f"unknown consumer group record type {kind}")


# --- replay -------------------------------------------------------------------------------------


def apply(groups: dict[str, ConsumerGroup], record: Record, now_ms: int | None = None) -> None:
    """Replay one record onto ``groups`` (creating the group on its first record; the group
    metadata tombstone, written last when a group goes, removes it)."""
    group_id = record.group_id
    group = groups.get(group_id)
    if group is None:
        if isinstance(record, GroupEpoch) and record.epoch is None:
            return
        group = groups[group_id] = ConsumerGroup(group_id, state_timestamp_ms=now_ms)
    was_empty = not group.members
    match record:
        case GroupEpoch(_, epoch):
            if epoch is None:
                del groups[group_id]
                return
            group.group_epoch = epoch
        case SubscriptionMetadata(_, topics):
            group.subscription_metadata = dict(topics or {})
        case MemberMetadata(_, member_id, sub):
            member = group.members.get(member_id)
            if sub is None:
                if member is not None:
                    group.set_member_assignment(member_id, None)
                    del group.members[member_id]
                    iid = member.instance_id
                    if iid is not None and group.static_members.get(iid) == member_id:
                        del group.static_members[iid]
            elif member is None:
                group.members[member_id] = ConsumerMember(sub)
            else:
                if member.instance_id is not None and member.instance_id != sub.instance_id:
                    group.static_members.pop(member.instance_id, None)
                member.subscription = sub
            if sub is not None and sub.instance_id is not None:
                group.static_members[sub.instance_id] = member_id
        case TargetEpoch(_, epoch):
            group.assignment_epoch = epoch or 0
        case TargetMember(_, member_id, parts):
            if parts is None:
                group.target.pop(member_id, None)
            else:
                group.target[member_id] = dict(parts)
        case CurrentAssignment(_, member_id, a):
            if member_id in group.members:
                group.set_member_assignment(member_id, a or MemberAssignment())
    if was_empty != (not group.members) and now_ms is not None:
        group.state_timestamp_ms = now_ms
