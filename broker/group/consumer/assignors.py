"""Kafka's server-side assignors: ``uniform`` (the default) and ``range``.

An assignor maps the members' subscriptions onto the partitions of the subscribed topics; it
sees topic ids and partition counts only. The coordinator picks one per group: the assignor
most members ask for (``server_assignor``), else the first of ``group.consumer.assignors``.

``uniform`` aims at what Kafka's UniformAssignor aims at: every partition of a subscribed topic
assigned to one subscriber, the counts as even as the subscriptions allow, and as few moves as
possible from the current target (sticky). It gets there by its own simple method (keep, fill
the least loaded, then move from the most to the least loaded while that narrows the gap),
not Kafka's exact algorithm, so two brokers may pick different but equally balanced answers.
``range`` gives each subscriber of a topic a contiguous range of its partitions, members in
member-id order, the first ``partitions % members`` ranges one longer (Kafka's RangeAssignor).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

Assignment = dict[uuid.UUID, frozenset[int]]
TopicPartition = tuple[uuid.UUID, int]


@dataclass(frozen=True, slots=True)
class MemberSpec:
    subscribed: frozenset[uuid.UUID]  # ids of the existing topics the member subscribes to
    current: Mapping[uuid.UUID, frozenset[int]] = field(default_factory=dict)  # its target now


@dataclass(frozen=True, slots=True)
class GroupSpec:
    members: Mapping[str, MemberSpec]
    partitions: Mapping[uuid.UUID, int]  # topic id -> partition count


class Assignor(Protocol):
    name: str

    def assign(self, spec: GroupSpec) -> dict[str, Assignment]: ...


def _as_assignment(owned: set[TopicPartition]) -> Assignment:
    out: dict[uuid.UUID, set[int]] = {}
    for topic, p in owned:
        out.setdefault(topic, set()).add(p)
    return {t: frozenset(ps) for t, ps in out.items()}


class UniformAssignor:
    name = "uniform"

    def assign(self, spec: GroupSpec) -> dict[str, Assignment]:
        members = sorted(spec.members)
        topics = sorted(spec.partitions, key=str)
        eligible = {t: [m for m in members if t in spec.members[m].subscribed] for t in topics}
        owned: dict[str, set[TopicPartition]] = {m: set() for m in members}
        owner: dict[TopicPartition, str] = {}
        # 1. keep what each member has, where it is still valid
        for m in members:
            spec_m = spec.members[m]
            for t, parts in spec_m.current.items():
                if t not in spec_m.subscribed or t not in spec.partitions:
                    continue
                for p in sorted(parts):
                    if p < spec.partitions[t] and (t, p) not in owner:
                        owner[(t, p)] = m
                        owned[m].add((t, p))
        # 2. give every unowned partition to its least loaded subscriber
        for t in topics:
            if not eligible[t]:
                continue
            for p in range(spec.partitions[t]):
                if (t, p) not in owner:
                    m = min(eligible[t], key=lambda x: (len(owned[x]), x))
                    owner[(t, p)] = m
                    owned[m].add((t, p))
        # 3. move partitions from loaded members to less loaded subscribers while that
        # narrows the gap; each move lowers the sum of squared counts, so this ends
        moved = True
        while moved:
            moved = False
            for donor in sorted(members, key=lambda x: (-len(owned[x]), x)):
                for tp in sorted(owned[donor], key=lambda x: (str(x[0]), x[1])):
                    target = min(eligible[tp[0]], key=lambda x: (len(owned[x]), x))
                    if len(owned[target]) < len(owned[donor]) - 1:
                        owned[donor].discard(tp)
                        owned[target].add(tp)
                        moved = True
                        break
                if moved:
                    break
        return {m: _as_assignment(owned[m]) for m in members}


class RangeAssignor:
    name = "range"

    def assign(self, spec: GroupSpec) -> dict[str, Assignment]:
        out: dict[str, dict[uuid.UUID, frozenset[int]]] = {m: {} for m in spec.members}
        for t, count in spec.partitions.items():
            subscribers = sorted(m for m, s in spec.members.items() if t in s.subscribed)
            if not subscribers:
                continue
            quota, extra = divmod(count, len(subscribers))
            start = 0
            for i, m in enumerate(subscribers):
                length = quota + (1 if i < extra else 0)
                if length:
                    out[m][t] = frozenset(range(start, start + length))
                start += length
        return out


# Kafka accepts its class names in group.consumer.assignors as well as the short names.
ASSIGNORS: dict[str, type[UniformAssignor] | type[RangeAssignor]] = {
    "uniform": UniformAssignor,
    "org.apache.kafka.coordinator.group.assignor.UniformAssignor": UniformAssignor,
    "range": RangeAssignor,
    "org.apache.kafka.coordinator.group.assignor.RangeAssignor": RangeAssignor,
}


def build_assignors(names: list[str] | tuple[str, ...]) -> dict[str, Assignor]:
    """The configured assignors by name, in configured order; ValueError for an unknown one."""
    out: dict[str, Assignor] = {}
    for name in names:
        cls = ASSIGNORS.get(name)
        if cls is None:
            raise ValueError(f"unknown consumer group assignor {name!r}")
        assignor = cls()
        out[assignor.name] = assignor
    return out
