"""The offset-reset planner: every mode, clamping, scope selection and the CSV file."""

from __future__ import annotations

import pytest

from kctl.reset_plan import (
    CURRENT,
    DATETIME,
    DURATION,
    EARLIEST,
    FILE,
    LATEST,
    OFFSET,
    SHIFT,
    PartitionState,
    PlanError,
    ResetMode,
    TopicScope,
    build_plan,
    parse_offsets_csv,
    parse_topic_scope,
    select_partitions,
)

STATES = [
    PartitionState("t", 0, committed=5, log_start=2, log_end=10),
    PartitionState("t", 1, committed=None, log_start=0, log_end=4),
]


def news(mode, time_offsets=None):
    return [r.new for r in build_plan(mode, STATES, time_offsets)]


def test_simple_modes():
    assert news(ResetMode(EARLIEST)) == [2, 0]
    assert news(ResetMode(LATEST)) == [10, 4]
    assert news(ResetMode(CURRENT)) == [5, 4]


def test_to_offset_is_clamped_and_flagged():
    rows = build_plan(ResetMode(OFFSET, 1), STATES)
    assert [(r.new, r.clamped) for r in rows] == [(2, True), (1, False)]
    assert [r.new for r in build_plan(ResetMode(OFFSET, 50), STATES)] == [10, 4]


def test_shift_by_needs_a_commit_and_clamps():
    with pytest.raises(PlanError, match="t:1"):
        build_plan(ResetMode(SHIFT, -2), STATES)
    only0 = STATES[:1]
    assert build_plan(ResetMode(SHIFT, -2), only0)[0].new == 3
    assert build_plan(ResetMode(SHIFT, -20), only0)[0].new == 2
    assert build_plan(ResetMode(SHIFT, 20), only0)[0].new == 10


def test_time_modes_use_the_lookup_or_the_log_end():
    mode = ResetMode(DATETIME, 1234)
    assert mode.target_timestamp(now_ms=99_999) == 1234
    assert news(mode, {("t", 0): 7, ("t", 1): -1}) == [7, 4]
    dur = ResetMode(DURATION, 1000)
    assert dur.target_timestamp(now_ms=5000) == 4000
    assert news(dur, {("t", 0): None, ("t", 1): 1}) == [10, 1]
    assert ResetMode(EARLIEST).target_timestamp(5000) is None


def test_lags_before_and_after():
    r0, r1 = build_plan(ResetMode(EARLIEST), STATES)
    assert (r0.current, r0.new, r0.lag_before, r0.lag_after) == (5, 2, 5, 8)
    assert (r1.lag_before, r1.lag_after, r1.changes) == (None, 4, True)
    assert r0.as_dict()["lag_after"] == 8


def test_file_mode_and_csv():
    offsets = parse_offsets_csv("t,0,3\nt,1,100\n\nother,t,0,9\n", group="g")
    assert offsets == {("t", 0): 3, ("t", 1): 100}
    assert news(ResetMode(FILE, file_offsets=offsets)) == [3, 4]
    assert parse_offsets_csv("g,t,0,9\n", group="g") == {("t", 0): 9}
    for bad in ["t,0", "t,x,1", "t,0,1\nt,0,2"]:
        with pytest.raises(PlanError, match="line"):
            parse_offsets_csv(bad, group="g")
    with pytest.raises(PlanError, match="no partitions"):
        parse_offsets_csv("\n", group="g")


def test_topic_scope_parsing():
    assert parse_topic_scope("t") == TopicScope("t")
    assert parse_topic_scope("t:2,0,2") == TopicScope("t", (0, 2))
    for bad in [":1", "t:", "t:a", "t:1,,2"]:
        with pytest.raises(PlanError):
            parse_topic_scope(bad)


META = {"t": [0, 1, 2], "u": [0]}


def test_select_partitions():
    committed = [("t", 0), ("u", 0)]
    pick = select_partitions
    assert pick([TopicScope("t")], False, committed, META, ResetMode(EARLIEST)) == [
        ("t", 0),
        ("t", 1),
        ("t", 2),
    ]
    assert pick([TopicScope("t", (1,))], False, committed, META, ResetMode(EARLIEST)) == [("t", 1)]
    assert pick([], True, committed, META, ResetMode(EARLIEST)) == committed
    file_mode = ResetMode(FILE, file_offsets={("t", 2): 1, ("u", 0): 0})
    assert pick([], False, committed, META, file_mode) == [("t", 2), ("u", 0)]
    assert pick([TopicScope("u")], False, committed, META, file_mode) == [("u", 0)]


@pytest.mark.parametrize(
    ("scopes", "all_topics", "mode", "msg"),
    [
        ([], False, ResetMode(EARLIEST), "--topic"),
        ([TopicScope("t")], True, ResetMode(EARLIEST), "not both"),
        ([TopicScope("nope")], False, ResetMode(EARLIEST), "unknown topic"),
        ([TopicScope("t", (7,))], False, ResetMode(EARLIEST), "no partition 7"),
        ([], True, ResetMode(EARLIEST), "no partitions match"),
        ([], False, ResetMode(FILE, file_offsets={("t", 9): 1}), "does not exist"),
    ],
)
def test_select_partitions_errors(scopes, all_topics, mode, msg):
    committed = [] if msg == "no partitions match" else [("t", 0)]
    with pytest.raises(PlanError, match=msg):
        select_partitions(scopes, all_topics, committed, META, mode)
