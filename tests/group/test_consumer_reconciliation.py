"""Reconciliation of one member towards its target (Kafka's CurrentAssignmentBuilder)."""

from __future__ import annotations

import uuid

from broker.group.consumer.reconciliation import (
    NO_OWNER,
    MemberAssignment,
    MemberState,
    reconcile,
)

T = uuid.UUID(int=7)


def free(_t, _p):
    return NO_OWNER


def test_stable_member_at_target_epoch_is_unchanged():
    a = MemberAssignment(3, 2, MemberState.STABLE, {T: frozenset({0})})
    assert reconcile(a, 3, {T: frozenset({0, 1})}, free, None) is a


def test_new_partitions_are_assigned_at_the_target_epoch():
    a = MemberAssignment(1, 0, MemberState.STABLE, {T: frozenset({0})})
    out = reconcile(a, 2, {T: frozenset({0, 1})}, free, {T: frozenset({0})})
    assert out.state is MemberState.STABLE
    assert (out.member_epoch, out.previous_member_epoch) == (2, 1)
    assert out.assigned == {T: frozenset({0, 1})}


def test_revocation_first_then_the_next_epoch():
    a = MemberAssignment(1, 0, MemberState.STABLE, {T: frozenset({0, 1})})
    target = {T: frozenset({1})}
    asked = reconcile(a, 2, target, free, None)
    assert asked.state is MemberState.UNREVOKED_PARTITIONS
    assert asked.member_epoch == 1
    assert asked.assigned == {T: frozenset({1})}
    assert asked.pending_revocation == {T: frozenset({0})}
    # still owning partition 0: nothing moves
    assert reconcile(asked, 2, target, free, {T: frozenset({0, 1})}) is asked
    done = reconcile(asked, 2, target, free, {T: frozenset({1})})
    assert done.state is MemberState.STABLE
    assert done.member_epoch == 2
    assert done.pending_revocation == {}


def test_a_partition_another_member_holds_is_unreleased():
    held = {(T, 1): 4}

    def epoch(t, p):
        return held.get((t, p), NO_OWNER)

    a = MemberAssignment(1, 0, MemberState.STABLE, {T: frozenset({0})})
    target = {T: frozenset({0, 1})}
    waiting = reconcile(a, 2, target, epoch, {T: frozenset({0})})
    assert waiting.state is MemberState.UNRELEASED_PARTITIONS
    assert waiting.member_epoch == 2
    assert waiting.assigned == {T: frozenset({0})}
    held.clear()  # the other member revoked it
    done = reconcile(waiting, 2, target, epoch, {T: frozenset({0})})
    assert done.state is MemberState.STABLE
    assert done.assigned == target


def test_revocation_skipped_when_the_member_no_longer_owns_them():
    a = MemberAssignment(1, 0, MemberState.STABLE, {T: frozenset({0, 1})})
    out = reconcile(a, 2, {T: frozenset({1})}, free, {T: frozenset({1})})
    assert out.state is MemberState.STABLE
    assert out.member_epoch == 2
