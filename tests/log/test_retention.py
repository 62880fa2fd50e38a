"""Retention: the pure policy, and its application to real logs on disk."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

import pytest

from broker.errors import ErrorCode, KafkaError
from broker.log.log import LogConfig
from broker.log.manager import LogManager
from broker.log.retention import (
    DELETE_CHUNK,
    RetentionPolicy,
    RetentionTask,
    apply_retention,
    deletable_count,
)
from tests.log.helpers import append, batch, open_log

NOW = 1_000_000_000


@dataclass
class Seg:
    size_bytes: int
    max_timestamp: int
    last_modified_ms: int = 0


def test_policy_from_topic_config_requires_delete():
    cfg = {"cleanup.policy": "compact", "retention.ms": "10", "retention.bytes": "-1"}
    assert RetentionPolicy.from_topic_config(cfg) is None
    cfg["cleanup.policy"] = "compact,delete"
    assert RetentionPolicy.from_topic_config(cfg) == RetentionPolicy(10, -1)
    cfg["cleanup.policy"] = "delete"
    cfg["retention.bytes"] = "4096"
    assert RetentionPolicy.from_topic_config(cfg) == RetentionPolicy(10, 4096)


def test_time_deletes_the_expired_prefix_only():
    closed = [Seg(100, NOW - 5000), Seg(100, NOW - 3000), Seg(100, NOW - 100), Seg(100, NOW - 9000)]
    # The 4th is older but follows a young one: deletion is a prefix, as in Kafka.
    assert deletable_count(closed, 500, RetentionPolicy(retention_ms=1000), NOW) == (2, "time")
    assert deletable_count(closed, 500, RetentionPolicy(retention_ms=5000), NOW) == (0, "")
    # exactly retention.ms old is kept: Kafka deletes when now - ts > retention.ms
    assert deletable_count(closed, 500, RetentionPolicy(retention_ms=4999), NOW) == (1, "time")


def test_time_uses_mtime_when_no_timestamps():
    closed = [Seg(100, -1, last_modified_ms=NOW - 10_000), Seg(100, -1, last_modified_ms=NOW)]
    assert deletable_count(closed, 300, RetentionPolicy(retention_ms=1000), NOW) == (1, "time")
    # a timestamp of 0 is a timestamp (1970), as in Kafka: the mtime is not consulted
    closed = [Seg(100, 0, last_modified_ms=NOW)]
    assert deletable_count(closed, 300, RetentionPolicy(retention_ms=1000), NOW) == (1, "time")


def test_minus_one_keeps_forever():
    closed = [Seg(100, 0, last_modified_ms=0)] * 3
    assert deletable_count(closed, 10_000, RetentionPolicy(-1, -1), NOW) == (0, "")


def test_size_keeps_at_least_retention_bytes():
    closed = [Seg(100, NOW)] * 4
    # log of 4 closed x 100 + 50 active = 450; limit 200: drop while the rest stays >= 200
    assert deletable_count(closed, 450, RetentionPolicy(retention_bytes=200), NOW) == (2, "size")
    assert deletable_count(closed, 450, RetentionPolicy(retention_bytes=250), NOW) == (2, "size")
    assert deletable_count(closed, 450, RetentionPolicy(retention_bytes=251), NOW) == (1, "size")
    assert deletable_count(closed, 450, RetentionPolicy(retention_bytes=450), NOW) == (0, "")
    # never more than the closed segments, even with a tiny limit
    assert deletable_count(closed, 450, RetentionPolicy(retention_bytes=0), NOW) == (4, "size")


def test_time_and_size_take_the_longer_prefix():
    closed = [Seg(100, NOW - 5000), Seg(100, NOW), Seg(100, NOW)]
    policy = RetentionPolicy(retention_ms=1000, retention_bytes=150)
    assert deletable_count(closed, 350, policy, NOW) == (2, "size")
    policy = RetentionPolicy(retention_ms=1000, retention_bytes=300)
    assert deletable_count(closed, 350, policy, NOW) == (1, "time")


CFG = LogConfig(segment_bytes=300, index_interval_bytes=128, segment_index_bytes=4096)


def filled(path, batches: int, ts) -> object:
    lg = open_log(path, CFG)
    for i in range(batches):
        append(lg, batch(1, size=100, ts=ts(i)))
    return lg


def test_apply_by_time_moves_the_log_start_and_keeps_the_active_segment(tmp_path):
    # every record is ancient: all closed segments go, the active one stays
    lg = filled(tmp_path / "t-0", 10, lambda i: 1000 + i)
    before = lg.segments()
    assert len(before) > 3
    result = apply_retention(lg, RetentionPolicy(retention_ms=60_000), int(time.time() * 1000))
    assert result is not None and result.reason == "time"
    assert result.segments_deleted == len(before) - 1
    assert result.bytes_deleted == sum(s.size_bytes for s in before[:-1])
    after = lg.segments()
    assert len(after) == 1 and after[0].active
    assert after[0].base_offset == before[-1].base_offset
    assert lg.log_start_offset == before[-1].base_offset == result.log_start_offset
    assert not (tmp_path / "t-0" / "00000000000000000000.log").exists()
    with pytest.raises(KafkaError) as e:
        lg.read(0, 1 << 20)
    assert e.value.code == ErrorCode.offset_out_of_range
    assert lg.read(lg.log_start_offset, 1 << 20)  # what remains reads fine
    # nothing more to delete: a second pass is a no-op
    now = int(time.time() * 1000)
    assert apply_retention(lg, RetentionPolicy(retention_ms=60_000), now) is None


def test_apply_by_time_keeps_young_segments(tmp_path):
    now = int(time.time() * 1000)
    lg = filled(tmp_path / "t-0", 10, lambda i: now - 3_600_000 if i < 4 else now)
    segs = lg.segments()
    old = [s for s in segs if s.max_timestamp < now - 60_000]
    result = apply_retention(lg, RetentionPolicy(retention_ms=60_000), now)
    assert result is not None and result.segments_deleted == len(old) > 0
    assert lg.log_start_offset == segs[len(old)].base_offset
    assert all(s.max_timestamp == now for s in lg.segments() if s.size_bytes)


def test_apply_by_size(tmp_path):
    now = int(time.time() * 1000)
    lg = filled(tmp_path / "t-0", 12, lambda i: now)
    segs = lg.segments()
    limit = 3 * segs[0].size_bytes
    result = apply_retention(lg, RetentionPolicy(retention_bytes=limit), now)
    assert result is not None and result.reason == "size"
    assert lg.size_bytes >= limit
    assert lg.size_bytes - lg.segments()[0].size_bytes < limit
    assert lg.log_start_offset == lg.segments()[0].base_offset > 0


def test_apply_to_a_single_active_segment_does_nothing(tmp_path):
    lg = open_log(tmp_path / "t-0", CFG)
    append(lg, batch(1, size=10, ts=1))
    assert len(lg.segments()) == 1
    assert apply_retention(lg, RetentionPolicy(retention_ms=0, retention_bytes=0), NOW) is None
    assert lg.log_start_offset == 0


def test_log_start_survives_restart(tmp_path):
    m = LogManager(tmp_path)
    m.startup()
    lg = m.get_or_create("t", 0, CFG)
    for i in range(10):
        append(lg, batch(1, size=100, ts=1000 + i))
    result = apply_retention(lg, RetentionPolicy(retention_ms=1), int(time.time() * 1000))
    assert result is not None
    m.shutdown()
    m2 = LogManager(tmp_path)
    m2.startup()
    assert m2.get_or_create("t", 0, CFG).log_start_offset == result.log_start_offset


def test_task_pass_reads_policies_per_topic(tmp_path):
    m = LogManager(tmp_path)
    m.startup()
    for topic in ("keep", "drop"):
        lg = m.get_or_create(topic, 0, CFG)
        for i in range(8):
            append(lg, batch(1, size=100, ts=1000 + i))
    policies = {"keep": None, "drop": RetentionPolicy(retention_ms=1)}
    seen = []
    task = RetentionTask(m, policies.get, 1000, on_deleted=lambda k, r: seen.append(k))
    deleted = asyncio.run(task.run_pass())
    assert deleted > 0 and seen == [("drop", 0)]
    assert m.get("keep", 0).log_start_offset == 0
    assert m.get("drop", 0).log_start_offset > 0
    assert task.stats.passes == 1 and task.stats.segments_deleted == deleted
    m.shutdown()


def test_old_mtime_without_timestamps(tmp_path):
    lg = open_log(tmp_path / "t-0", CFG)
    for _ in range(6):
        append(lg, batch(1, size=100, ts=-1))
    first = lg.segments()[0]
    assert first.max_timestamp == -1
    path = tmp_path / "t-0" / "00000000000000000000.log"
    os.utime(path, (1, 1))
    result = apply_retention(lg, RetentionPolicy(retention_ms=60_000), int(time.time() * 1000))
    assert result is not None and result.segments_deleted == 1
    assert lg.log_start_offset == first.next_offset


def test_task_deletes_many_segments_in_steps_that_yield(tmp_path):
    m = LogManager(tmp_path)
    m.startup()
    lg = m.get_or_create("many", 0, CFG)
    total = 2 * DELETE_CHUNK + 5
    for i in range(total + 1):  # one segment per batch: each append rolls
        append(lg, batch(1, size=200, ts=1000 + i))
    assert len(lg.segments()) == total + 1
    steps: list[int] = []
    task = RetentionTask(
        m, lambda t: RetentionPolicy(retention_ms=1), 1000,
        on_deleted=lambda k, r: steps.append(r.segments_deleted),
    )

    async def pass_and_count_yields() -> tuple[int, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        t = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        deleted = await task.run_pass()
        t.cancel()
        return deleted, ticks

    deleted, ticks = asyncio.run(pass_and_count_yields())
    assert deleted == total and steps == [DELETE_CHUNK, DELETE_CHUNK, 5]
    assert ticks >= 2  # other tasks ran between the steps
    assert len(lg.segments()) == 1 and lg.log_start_offset == total
    m.shutdown()


def test_max_segments_caps_one_application(tmp_path):
    lg = filled(tmp_path / "t-0", 10, lambda i: 1000 + i)
    n = len(lg.segments()) - 1
    result = apply_retention(lg, RetentionPolicy(retention_ms=1), NOW, max_segments=2)
    assert result is not None and result.segments_deleted == 2
    assert len(lg.segments()) == n + 1 - 2
