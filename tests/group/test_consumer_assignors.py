"""The server-side assignors of consumer groups (KIP-848): uniform and range."""

from __future__ import annotations

import uuid

import pytest

from broker.group.consumer.assignors import (
    GroupSpec,
    MemberSpec,
    RangeAssignor,
    UniformAssignor,
    build_assignors,
)

T1, T2 = uuid.UUID(int=1), uuid.UUID(int=2)


def _flat(result):
    return {(t, p): m for m, a in result.items() for t, ps in a.items() for p in ps}


def _counts(result):
    return {m: sum(len(ps) for ps in a.values()) for m, a in result.items()}


def test_uniform_assigns_every_partition_once_and_balances():
    spec = GroupSpec({m: MemberSpec(frozenset({T1, T2})) for m in ("a", "b", "c")}, {T1: 4, T2: 3})
    result = UniformAssignor().assign(spec)
    owners = _flat(result)
    assert len(owners) == 7
    counts = _counts(result)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_uniform_is_sticky_when_a_member_joins():
    current = {T1: frozenset({0, 1, 2, 3})}
    spec = GroupSpec(
        {"a": MemberSpec(frozenset({T1}), current), "b": MemberSpec(frozenset({T1}))}, {T1: 4}
    )
    result = UniformAssignor().assign(spec)
    assert _counts(result) == {"a": 2, "b": 2}
    assert result["a"][T1] <= current[T1]  # a only gave partitions away


def test_uniform_respects_subscriptions():
    spec = GroupSpec(
        {"a": MemberSpec(frozenset({T1})), "b": MemberSpec(frozenset({T1, T2}))}, {T1: 2, T2: 2}
    )
    result = UniformAssignor().assign(spec)
    assert T2 not in result["a"]
    assert result["b"][T2] == frozenset({0, 1})
    assert len(_flat(result)) == 4


def test_uniform_drops_partitions_of_topics_no_longer_there():
    spec = GroupSpec({"a": MemberSpec(frozenset({T1}), {T1: frozenset({0, 5})})}, {T1: 2})
    assert UniformAssignor().assign(spec) == {"a": {T1: frozenset({0, 1})}}


def test_range_gives_contiguous_ranges_in_member_order():
    spec = GroupSpec({m: MemberSpec(frozenset({T1})) for m in ("b", "a")}, {T1: 5})
    assert RangeAssignor().assign(spec) == {
        "a": {T1: frozenset({0, 1, 2})},
        "b": {T1: frozenset({3, 4})},
    }


def test_range_member_without_partitions_gets_nothing():
    spec = GroupSpec({m: MemberSpec(frozenset({T1})) for m in ("a", "b", "c")}, {T1: 2})
    result = RangeAssignor().assign(spec)
    assert result["c"] == {}
    assert len(_flat(result)) == 2


def test_configured_assignors_accept_kafka_class_names():
    names = ["org.apache.kafka.coordinator.group.assignor.RangeAssignor", "uniform"]
    assert list(build_assignors(names)) == ["range", "uniform"]
    with pytest.raises(ValueError):
        build_assignors(["sticky"])
