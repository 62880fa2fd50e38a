"""The offsets topic records: Kafka's layouts, partition mapping, and replay into groups."""

from __future__ import annotations

import pytest

from broker.errors import ErrorCode
from broker.group import log_format as fmt
from broker.group.coordinator import CoordinatorConfig, GroupCoordinator
from broker.group.loader import load_groups
from broker.group.offsets import OffsetAndMetadata
from broker.group.offsets_topic import Stored, java_string_hash, partition_for
from broker.group.state import GroupState
from tests.group.fakes import FakeScheduler, make_coordinator, request


def test_java_string_hash_matches_java():
    # Values of String.hashCode() computed by the JVM.
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(2**31)  # the famous MIN_VALUE string
    assert java_string_hash("é") == 233  # UTF-16 code unit, not UTF-8 bytes
    assert java_string_hash("😀") == 31 * 0xD83D + 0xDE00  # a surrogate pair
    assert partition_for("polygenelubricants", 50) == 0  # Kafka's Utils.abs(MIN_VALUE) = 0
    assert partition_for("hello", 50) == 99162322 % 50


def test_records_round_trip_in_kafka_layout():
    key = fmt.offset_key("g", "orders", 7)
    # OffsetCommitKey v1: int16 version, group, topic, int32 partition
    assert key == b"\x00\x01\x00\x01g\x00\x06orders\x00\x00\x00\x07"
    assert fmt.decode_key(key) == fmt.OffsetKey("g", "orders", 7)
    om = OffsetAndMetadata(123, 4, "meta ✓", 1_700_000_000_000)
    assert fmt.decode_offset_value(fmt.offset_value(om)) == om
    stored = fmt.StoredGroup(
        "consumer",
        5,
        "range",
        "m1",
        99,
        [fmt.StoredMember("m1", "static-1", "cid", "/1.2.3.4", 30000, 10000, b"sub", b"asg")],
    )
    assert fmt.decode_key(fmt.group_key("g")) == fmt.GroupKey("g")
    assert fmt.decode_group_value(fmt.group_value(stored)) == stored
    with pytest.raises(fmt.FormatError):
        fmt.decode_key(b"\x00\x09\x00\x01g")
    with pytest.raises(fmt.FormatError):
        fmt.decode_offset_value(fmt.offset_value(om)[:-3])


def test_replay_applies_later_records_and_tombstones():
    a0 = OffsetAndMetadata(1)
    entries = [
        (fmt.offset_key("a", "t", 0), fmt.offset_value(a0)),
        (fmt.offset_key("a", "t", 0), fmt.offset_value(OffsetAndMetadata(9))),
        (fmt.offset_key("a", "t", 1), fmt.offset_value(a0)),
        (fmt.offset_key("a", "t", 1), None),
        (fmt.offset_key("gone", "t", 0), fmt.offset_value(a0)),
        (fmt.offset_key("gone", "t", 0), None),
        (b"\x00\x07junk", b"junk"),  # unreadable: skipped, not fatal
    ]
    groups = load_groups([Stored(k, v, i) for i, (k, v) in enumerate(entries)])
    assert set(groups) == {"a"}
    assert groups["a"].offsets == {("t", 0): OffsetAndMetadata(9)}
    assert groups["a"].state is GroupState.EMPTY and groups["a"].protocol_type is None


def test_replay_keeps_a_plain_commit_stored_after_a_transactions_offsets():
    """A committed transaction's records are replayed where its marker is: after a plain
    commit stored later than them, which stays (as it did before the restart)."""
    key = fmt.offset_key("a", "t", 0)
    groups = load_groups([
        Stored(key, fmt.offset_value(OffsetAndMetadata(3)), 11),  # plain, after the txn's
        Stored(key, fmt.offset_value(OffsetAndMetadata(5)), 10),  # the txn's, at its marker
        Stored(fmt.offset_key("a", "t", 1), fmt.offset_value(OffsetAndMetadata(6)), 10),
    ])  # fmt: skip
    assert {tp: om.offset for tp, om in groups["a"].offsets.items()} == {
        ("t", 0): 3, ("t", 1): 6
    }


def test_a_restarted_coordinator_resumes_stable_groups_and_offsets():
    coord, clock, store = make_coordinator()
    first = coord.join(request(session_ms=6000)).result().member_id
    fut = coord.join(request(first, session_ms=6000))
    clock.advance(100)
    gen = fut.result().generation_id
    coord.sync("g", gen, first, None, None, None, {first: b"assigned"})
    om = {("t", 0): OffsetAndMetadata(10, 2, "m", clock.now)}
    assert coord.commit_offsets("g", gen, first, None, om) == {("t", 0): ErrorCode.none}
    coord.commit_offsets("simple", -1, "", None, {("u", 3): OffsetAndMetadata(5)})
    coord.stop()

    clock2 = FakeScheduler(clock.now + 1000)
    again = GroupCoordinator(CoordinatorConfig(min_session_timeout_ms=1000), clock2, store)
    again.load()
    group = again.describe("g")
    assert group.state is GroupState.STABLE
    assert (group.generation_id, group.leader_id, group.protocol_name) == (gen, first, "range")
    assert again.fetch_offsets("g", None) == om
    assert again.fetch_offsets("simple", [("u", 3)])[("u", 3)].offset == 5
    # The member carries on with its generation and gets its assignment back.
    assert again.heartbeat("g", gen, first, None) is ErrorCode.none
    assert again.sync("g", gen, first, None, None, None, {}).result().assignment == b"assigned"
    # A member that never comes back expires after its session timeout.
    clock2.advance(6000)
    assert first not in group.members
    again.stop()
    clock.close()
    clock2.close()
