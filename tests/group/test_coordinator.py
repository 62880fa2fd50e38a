"""The classic group state machine, driven with a fake clock (no broker, no sockets)."""

from __future__ import annotations

import pytest

from broker.errors import ErrorCode
from broker.group.offsets import OffsetAndMetadata
from broker.group.state import GroupState
from tests.group.fakes import make_coordinator, request, subscription


@pytest.fixture
def env():
    coord, clock, store = make_coordinator()
    yield coord, clock, store
    coord.stop()
    clock.close()


def join_new(coord, **kw):
    """KIP-394: the first JoinGroup hands out a member id; the second one waits."""
    first = coord.join(request(**kw))
    assert first.done()
    assert first.result().error is ErrorCode.member_id_required
    member_id = first.result().member_id
    assert member_id.startswith("client-")
    return member_id, coord.join(request(member_id, **kw))


def sync_all(coord, gen, joined, assignments):
    """Every member sends SyncGroup (the leader with the assignment); return their futures."""
    futs = {}
    for mid, res in joined.items():
        futs[mid] = coord.sync("g", gen, mid, None, None, None, assignments if res.members else {})
    return futs


def form_group(coord, clock, n, **kw):
    """n members join together and sync; returns {member id: assignment}."""
    pending = dict(join_new(coord, **kw) for _ in range(n))
    clock.advance(200)  # the initial delay, extended once for the members after the first
    results = {mid: f.result() for mid, f in pending.items()}
    assert all(r.error is ErrorCode.none for r in results.values())
    gen = next(iter(results.values())).generation_id
    assignment = {mid: f"part-of-{mid}".encode() for mid in results}
    futs = sync_all(coord, gen, results, assignment)
    assert all(f.result().error is ErrorCode.none for f in futs.values())
    return gen, {mid: f.result().assignment for mid, f in futs.items()}


def test_single_member_joins_after_the_initial_delay_and_syncs(env):
    coord, clock, _ = env
    member_id, fut = join_new(coord)
    assert not fut.done()  # long poll: the initial rebalance delay is running
    clock.advance(99)
    assert not fut.done()
    clock.advance(1)
    res = fut.result()
    assert res.error is ErrorCode.none
    assert (res.generation_id, res.leader_id, res.protocol_name) == (1, member_id, "range")
    assert res.members == [(member_id, None, subscription("t"))]
    assert coord.describe("g").state is GroupState.COMPLETING_REBALANCE
    sync = coord.sync("g", 1, member_id, None, "consumer", "range", {member_id: b"\x01\x02"})
    assert sync.result().error is ErrorCode.none
    assert sync.result().assignment == b"\x01\x02"
    assert coord.describe("g").state is GroupState.STABLE


def test_concurrent_joins_form_one_generation_with_one_leader(env):
    coord, clock, _ = env
    pending = dict(join_new(coord) for _ in range(3))
    clock.advance(100)
    assert not any(f.done() for f in pending.values())  # others joined: delay extended
    clock.advance(100)
    results = {mid: f.result() for mid, f in pending.items()}
    assert {r.error for r in results.values()} == {ErrorCode.none}
    assert {r.generation_id for r in results.values()} == {1}
    leaders = [mid for mid, r in results.items() if r.members]
    assert len(leaders) == 1
    assert {r.leader_id for r in results.values()} == {leaders[0]}
    assert {m[0] for m in results[leaders[0]].members} == set(results)
    # Followers wait for the leader's SyncGroup, then get exactly their bytes.
    followers = [mid for mid in results if mid != leaders[0]]
    waiting = [coord.sync("g", 1, mid, None, None, None, {}) for mid in followers]
    assert not any(f.done() for f in waiting)
    assignment = {mid: mid.encode() * 2 for mid in results}
    lead = coord.sync("g", 1, leaders[0], None, None, None, assignment)
    assert lead.result().assignment == assignment[leaders[0]]
    for mid, f in zip(followers, waiting, strict=True):
        assert f.result().error is ErrorCode.none
        assert f.result().assignment == assignment[mid]


def test_initial_delay_extends_while_members_keep_arriving(env):
    coord, clock, _ = env
    _, a = join_new(coord)
    clock.advance(80)
    _, b = join_new(coord)
    clock.advance(80)  # past the first 100 ms: extended because b arrived
    _, c = join_new(coord)
    assert not a.done()
    clock.advance(200)
    assert {f.result().generation_id for f in (a, b, c)} == {1}
    assert len(coord.describe("g").members) == 3


def test_known_member_rejoin_in_stable_returns_current_generation(env):
    coord, clock, _ = env
    gen, assigned = form_group(coord, clock, 2)
    follower = next(mid for mid in assigned if not coord.describe("g").is_leader(mid))
    res = coord.join(request(follower)).result()
    assert (res.error, res.generation_id, res.members) == (ErrorCode.none, gen, [])
    assert coord.describe("g").state is GroupState.STABLE
    # The leader rejoining means it wants to reassign: a rebalance.
    leader = coord.describe("g").leader_id
    assert not coord.join(request(leader)).done()
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE


def test_changed_metadata_triggers_a_rebalance(env):
    coord, clock, _ = env
    _, assigned = form_group(coord, clock, 2)
    follower = next(mid for mid in assigned if not coord.describe("g").is_leader(mid))
    fut = coord.join(request(follower, protocols=[("range", subscription("t", "u"))]))
    assert not fut.done()
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE


def test_member_leaves_and_the_rest_rebalance(env):
    coord, clock, _ = env
    gen, assigned = form_group(coord, clock, 3)
    leaving, *staying = list(assigned)
    assert coord.leave("g", [(leaving, None)]) == (ErrorCode.none, [ErrorCode.none])
    for mid in staying:
        assert coord.heartbeat("g", gen, mid, None) is ErrorCode.rebalance_in_progress
    futs = [coord.join(request(mid)) for mid in staying]
    # Everyone left has rejoined: no need to wait for the rebalance timeout.
    results = [f.result() for f in futs]
    assert {r.generation_id for r in results} == {gen + 1}
    assert sum(1 for r in results if r.members) == 1
    assert {m[0] for r in results for m in r.members} == set(staying)
    assert coord.heartbeat("g", gen, staying[0], None) is ErrorCode.illegal_generation


def test_session_timeout_removes_a_silent_member(env):
    coord, clock, _ = env
    gen, assigned = form_group(coord, clock, 2, session_ms=6000)
    alive, dead = list(assigned)
    for _ in range(4):  # alive heartbeats every 2 s; dead never does
        clock.advance(2000)
        assert coord.heartbeat("g", gen, alive, None) is not ErrorCode.unknown_member_id
    assert dead not in coord.describe("g").members
    assert coord.heartbeat("g", gen, dead, None) is ErrorCode.unknown_member_id
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE
    res = coord.join(request(alive)).result()
    assert (res.generation_id, res.leader_id) == (gen + 1, alive)


def test_rebalance_timeout_drops_members_that_do_not_rejoin(env):
    coord, clock, _ = env
    gen, assigned = form_group(coord, clock, 2, session_ms=60_000, rebalance_ms=5000)
    a, _silent = list(assigned)
    fut = coord.join(request(a, protocols=[("range", subscription("x"))], rebalance_ms=5000))
    clock.advance(4999)
    assert not fut.done()
    clock.advance(1)
    assert fut.result().generation_id == gen + 1
    assert list(coord.describe("g").members) == [a]


def test_unknown_and_stale_members_are_fenced(env):
    coord, clock, _ = env
    gen, assigned = form_group(coord, clock, 2)
    a, b = list(assigned)
    assert coord.heartbeat("g", gen, "nobody", None) is ErrorCode.unknown_member_id
    assert coord.heartbeat("nogroup", gen, a, None) is ErrorCode.unknown_member_id
    assert coord.heartbeat("g", gen - 1, a, None) is ErrorCode.illegal_generation
    assert coord.join(request("nobody")).result().error is ErrorCode.unknown_member_id
    om = {("t", 0): OffsetAndMetadata(5)}
    assert coord.commit_offsets("g", gen, a, None, om) == {("t", 0): ErrorCode.none}
    stale = coord.commit_offsets("g", gen - 1, a, None, om)
    assert stale == {("t", 0): ErrorCode.illegal_generation}
    # A rebalance: commits of the current generation still work while preparing (eager
    # consumers commit in their revocation callback) but not in the sync phase.
    coord.join(request(a, protocols=[("range", subscription("x"))]))
    assert coord.commit_offsets("g", gen, b, None, om) == {("t", 0): ErrorCode.none}
    sync = coord.sync("g", gen, b, None, None, None, {})
    assert sync.result().error is ErrorCode.rebalance_in_progress
    fb = coord.join(request(b))
    assert fb.done()
    syncing = coord.commit_offsets("g", gen + 1, b, None, om)
    assert syncing == {("t", 0): ErrorCode.rebalance_in_progress}


def test_static_member_restart_within_session_timeout_keeps_the_generation(env):
    coord, clock, _ = env
    futs = [coord.join(request(instance=f"i{n}", session_ms=6000)) for n in range(2)]
    clock.advance(200)
    results = [f.result() for f in futs]
    gen = results[0].generation_id
    ids = [r.member_id for r in results]
    assignment = {mid: mid.encode() for mid in ids}
    for r in results:
        coord.sync("g", gen, r.member_id, "i", None, None, assignment if r.members else {})
    assert coord.describe("g").state is GroupState.STABLE
    follower = ids[1] if results[0].members else ids[0]
    instance = coord.describe("g").members[follower].group_instance_id
    clock.advance(3000)  # the follower restarts (no LeaveGroup for static members)
    res = coord.join(request(instance=instance, session_ms=6000)).result()
    assert res.error is ErrorCode.none
    assert res.generation_id == gen and res.member_id != follower
    assert coord.describe("g").state is GroupState.STABLE
    sync = coord.sync("g", gen, res.member_id, instance, None, None, {}).result()
    assert sync.assignment == assignment[follower]  # what the old incarnation owned
    assert coord.heartbeat("g", gen, follower, instance) is ErrorCode.fenced_instance_id
    assert coord.heartbeat("g", gen, res.member_id, instance) is ErrorCode.none


def test_static_member_that_stays_away_is_removed_after_its_session(env):
    coord, clock, _ = env
    futs = [coord.join(request(instance=f"i{n}", session_ms=6000)) for n in range(2)]
    clock.advance(200)
    results = [f.result() for f in futs]
    for r in results:
        coord.sync("g", 1, r.member_id, None, None, None, {})
    for _ in range(4):
        clock.advance(2000)
        coord.heartbeat("g", 1, results[0].member_id, None)
    assert list(coord.describe("g").members) == [results[0].member_id]
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE


def test_pending_member_that_never_returns_expires(env):
    coord, clock, _ = env
    _, a = join_new(coord, session_ms=6000)
    ghost = coord.join(request(session_ms=6000)).result()  # never rejoins with its id
    assert ghost.error is ErrorCode.member_id_required
    clock.advance(100)
    assert a.result().generation_id == 1  # the initial delay does not wait for pending ids
    gen = 1
    coord.sync("g", gen, a.result().member_id, None, None, None, {})
    assert coord.describe("g").pending_members
    clock.advance(6000)
    assert not coord.describe("g").pending_members


def test_protocol_selection_and_inconsistent_protocols(env):
    coord, clock, _ = env
    _, a = join_new(coord, protocols=[("range", b"r"), ("roundrobin", b"rr")])
    _, b = join_new(coord, protocols=[("roundrobin", b"rr2"), ("cooperative-sticky", b"c")])
    clock.advance(200)
    assert {a.result().protocol_name, b.result().protocol_name} == {"roundrobin"}
    leader = a.result() if a.result().members else b.result()
    assert sorted(m[2] for m in leader.members) == [b"rr", b"rr2"]
    bad = coord.join(request(protocols=[("sticky", b"")])).result()
    assert bad.error is ErrorCode.inconsistent_group_protocol
    other_type = coord.join(request(protocol_type="connect")).result()
    assert other_type.error is ErrorCode.inconsistent_group_protocol


def test_session_timeout_outside_the_broker_limits_is_refused(env):
    coord, _, _ = env
    res = coord.join(request(session_ms=500)).result()
    assert res.error is ErrorCode.invalid_session_timeout


def test_simple_consumer_commits_without_joining(env):
    coord, _, _ = env
    om = {("t", 0): OffsetAndMetadata(42, 3, "meta", 1), ("t", 1): OffsetAndMetadata(7)}
    assert coord.commit_offsets("simple", -1, "", None, om) == dict.fromkeys(om, ErrorCode.none)
    fetched = coord.fetch_offsets("simple", [("t", 0), ("t", 9)])
    assert fetched == {("t", 0): om[("t", 0)], ("t", 9): None}
    assert coord.fetch_offsets("simple", None) == om
    assert coord.fetch_offsets("unknown", None) == {}
    unknown = coord.commit_offsets("nogroup", 3, "m", None, om)
    assert unknown == dict.fromkeys(om, ErrorCode.illegal_generation)


def test_oversized_metadata_and_failed_writes(env):
    coord, _, store = env
    big = {("t", 0): OffsetAndMetadata(1, metadata="x" * 5000)}
    assert coord.commit_offsets("s", -1, "", None, big) == {
        ("t", 0): ErrorCode.offset_metadata_too_large
    }
    store.fail = True
    res = coord.commit_offsets("s", -1, "", None, {("t", 0): OffsetAndMetadata(1)})
    assert res == {("t", 0): ErrorCode.coordinator_not_available}
    assert coord.fetch_offsets("s", [("t", 0)]) == {("t", 0): None}


def test_delete_group_only_when_empty(env):
    coord, clock, store = env
    _, assigned = form_group(coord, clock, 1)
    (mid,) = assigned
    coord.commit_offsets("g", 1, mid, None, {("t", 0): OffsetAndMetadata(3)})
    assert coord.delete_group("g") is ErrorCode.non_empty_group
    coord.leave("g", [(mid, None)])
    assert coord.describe("g").state is GroupState.EMPTY  # the join completes at once
    assert coord.delete_group("g") is ErrorCode.none
    assert coord.describe("g") is None
    assert coord.delete_group("g") is ErrorCode.group_id_not_found
    assert store.entries[-1][2] is None and store.entries[-2][2] is None  # tombstones


def test_offset_delete_refuses_subscribed_topics(env):
    coord, clock, _ = env
    _, assigned = form_group(coord, clock, 1, protocols=[("range", subscription("t"))])
    (mid,) = assigned
    om = {("t", 0): OffsetAndMetadata(1), ("old", 0): OffsetAndMetadata(2)}
    coord.commit_offsets("g", 1, mid, None, om)
    code, errors = coord.delete_offsets("g", [("t", 0), ("old", 0)])
    assert code is ErrorCode.none
    assert errors == {
        ("t", 0): ErrorCode.group_subscribed_to_topic,
        ("old", 0): ErrorCode.none,
    }
    assert coord.fetch_offsets("g", None) == {("t", 0): om[("t", 0)]}
    assert coord.delete_offsets("missing", [("t", 0)])[0] is ErrorCode.group_id_not_found


def test_offsets_of_empty_groups_expire_after_retention():
    coord, clock, _ = make_coordinator(offsets_retention_ms=60_000)
    coord.commit_offsets(
        "simple", -1, "", None, {("t", 0): OffsetAndMetadata(1, commit_timestamp_ms=clock.now)}
    )
    _, assigned = form_group(coord, clock, 1)
    (mid,) = assigned
    coord.commit_offsets(
        "g", 1, mid, None, {("t", 0): OffsetAndMetadata(1, commit_timestamp_ms=clock.now)}
    )
    clock.advance(59_000)
    assert coord.expire_offsets() == 0
    clock.advance(2000)
    coord.heartbeat("g", 1, mid, None)
    assert coord.expire_offsets() == 1  # the simple group's; "g" has a live member
    assert coord.describe("simple") is None
    assert coord.fetch_offsets("g", [("t", 0)])[("t", 0)] is not None
    coord.stop()
    clock.close()


def test_members_that_never_sync_are_removed_after_the_rebalance_timeout(env):
    coord, clock, _ = env
    pending = dict(join_new(coord, session_ms=60_000, rebalance_ms=5000) for _ in range(2))
    clock.advance(200)
    results = {mid: f.result() for mid, f in pending.items()}
    leader = next(mid for mid, r in results.items() if r.members)
    follower = next(mid for mid in results if mid != leader)
    # Only the follower syncs; the leader (and its assignment) never comes.
    waiting = coord.sync("g", 1, follower, None, None, None, {})
    clock.advance(4999)
    assert not waiting.done()
    clock.advance(1)
    assert waiting.result().error is ErrorCode.rebalance_in_progress
    assert list(coord.describe("g").members) == [follower]
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE


def test_a_static_member_rejoining_during_the_sync_phase_restarts_the_rebalance(env):
    coord, clock, _ = env
    futs = [coord.join(request(instance=f"i{n}")) for n in range(2)]
    clock.advance(200)
    results = [f.result() for f in futs]
    follower = next(r for r in results if not r.members)
    old_sync = coord.sync("g", 1, follower.member_id, "i1", None, None, {})
    instance = coord.describe("g").members[follower.member_id].group_instance_id
    again = coord.join(request(instance=instance))
    assert old_sync.result().error is ErrorCode.fenced_instance_id
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE
    assert not again.done()


def test_leave_by_instance_id_and_unknown_members(env):
    coord, clock, _ = env
    futs = [coord.join(request(instance=f"i{n}")) for n in range(2)]
    clock.advance(200)
    ids = [f.result().member_id for f in futs]
    assert coord.leave("g", [(ids[0], "i1")]) == (ErrorCode.none, [ErrorCode.fenced_instance_id])
    code, errors = coord.leave("g", [("", "i0"), ("nobody", None)])
    assert code is ErrorCode.none
    assert errors == [ErrorCode.none, ErrorCode.unknown_member_id]
    assert list(coord.describe("g").members) == [ids[1]]
    assert coord.leave("nogroup", [("x", None)]) == (
        ErrorCode.none,
        [ErrorCode.unknown_member_id],
    )


def test_a_repeated_join_replaces_the_first_long_poll(env):
    coord, clock, _ = env
    _, assigned = form_group(coord, clock, 2)
    a, b = list(assigned)
    first = coord.join(request(a, protocols=[("range", subscription("x"))]))
    second = coord.join(request(a, protocols=[("range", subscription("x"))]))
    assert first.result().error is ErrorCode.rebalance_in_progress
    assert not second.done()
    coord.join(request(b))
    assert second.result().error is ErrorCode.none


def test_a_failed_assignment_write_fails_the_sync_and_rebalances(env):
    coord, clock, store = env
    member_id, fut = join_new(coord)
    clock.advance(100)
    assert fut.result().generation_id == 1
    store.fail = True
    sync = coord.sync("g", 1, member_id, None, None, None, {member_id: b"x"})
    assert sync.result().error is ErrorCode.coordinator_not_available
    assert coord.describe("g").state is GroupState.PREPARING_REBALANCE
    store.fail = False
    again = coord.join(request(member_id))
    assert again.result().generation_id == 2


def test_offsets_of_deleted_topics_are_dropped_with_tombstones(env):
    coord, _, store = env
    om = {("gone", 0): OffsetAndMetadata(1), ("kept", 0): OffsetAndMetadata(2)}
    coord.commit_offsets("s", -1, "", None, om)
    coord.remove_offsets_of_topics({"gone"})
    assert coord.fetch_offsets("s", None) == {("kept", 0): om[("kept", 0)]}
    assert store.entries[-1][2] is None  # a tombstone, so a restart forgets it too
