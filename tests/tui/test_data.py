"""The dashboard's data layer against a real broker, and the CLI's independence from Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kctl.client import Cluster
from kctl.console import KctlError
from kctl.options import Settings
from tui.data.actions import create_topic, delete_topic, parse_reset_mode, produce_record
from tui.data.segments import fetch_partition_segments
from tui.data.snapshot import fetch_snapshot
from tui.data.tail import read_tail


def test_import_kctl_does_not_load_textual():
    code = ("import kctl.app, kctl.commands.dashboard, sys; kctl.app.build_app(); "
            "assert 'textual' not in sys.modules, 'textual was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def cluster(shared_broker) -> Cluster:
    return Cluster(Settings(bootstrap=shared_broker.bootstrap, timeout=5))


def test_snapshot_offsets_and_throughput(cluster):
    create_topic(cluster, "snap-orders", 2)
    for i in range(4):
        produce_record(cluster, "snap-orders", None, f"v{i}", partition=i % 2)
    first = fetch_snapshot(cluster)
    topic = first.topic("snap-orders")
    assert [(p.partition, p.log_start, p.log_end) for p in topic.partitions] == [(0, 0, 2),
                                                                                 (1, 0, 2)]
    assert topic.messages == 4 and topic.replication_factor == 1
    # Sizes come from DescribeLogDirs: both partitions hold two records.
    assert all(p.size_bytes and p.size_bytes > 0 for p in topic.partitions)
    assert topic.size_bytes == sum(p.size_bytes for p in topic.partitions)
    assert first.brokers and first.controller_id == first.brokers[0].node_id
    assert first.msgs_in_per_s == 0  # no previous snapshot: no rate yet
    for i in range(3):
        produce_record(cluster, "snap-orders", None, f"w{i}", partition=0)
    second = fetch_snapshot(cluster, first)
    p0 = second.topic("snap-orders").partitions[0]
    assert p0.log_end == 5
    expected = 3 / (second.taken_at - first.taken_at)
    assert p0.msgs_per_s == pytest.approx(expected)
    assert second.under_replicated == 0 and second.offline == 0


def test_tail_newest_and_from_offset(cluster):
    create_topic(cluster, "snap-tail", 1)
    for i in range(6):
        produce_record(cluster, "snap-tail", f"k{i}", f"value-{i}")
    newest = read_tail(cluster, "snap-tail", 3)
    assert [(r.offset, r.key, r.value) for r in newest] == [
        (3, "k3", "value-3"), (4, "k4", "value-4"), (5, "k5", "value-5")]
    jumped = read_tail(cluster, "snap-tail", 2, partition=0, offset=1)
    assert [r.offset for r in jumped] == [1, 2]
    assert newest[0].matches("VALUE-3") and not newest[0].matches("value-9")
    everything = read_tail(cluster, "snap-tail", 10, partition=0, offset=0)
    assert [r.offset for r in everything] == list(range(6))
    ts = newest[1].timestamp_ms  # the record at offset 4
    since = read_tail(cluster, "snap-tail", 10, since_ms=ts)
    assert 4 in [r.offset for r in since]
    assert [r.offset for r in since] == [r.offset for r in everything if r.timestamp_ms >= ts]
    assert read_tail(cluster, "snap-tail", 5, since_ms=newest[2].timestamp_ms + 60_000) == []


def test_jump_parsing():
    from tui.screens.dialogs import JumpTarget, parse_jump

    assert parse_jump("1:20", 0) == JumpTarget(1, 20)
    assert parse_jump("-5m", 600_000) == JumpTarget(since_ms=300_000)
    assert parse_jump("1970-01-01T00:00:01Z", 0) == JumpTarget(since_ms=1000)
    with pytest.raises(ValueError, match="PARTITION:OFFSET"):
        parse_jump("soon", 0)


def test_delete_topic_and_unknown_topic_errors(cluster):
    create_topic(cluster, "snap-gone", 1)
    delete_topic(cluster, "snap-gone")
    with pytest.raises(KctlError):
        read_tail(cluster, "snap-gone", 5)


def test_snapshot_of_unreachable_cluster_raises():
    from tests.kctl.kctl_cli import closed_port

    dead = Cluster(Settings(bootstrap=f"127.0.0.1:{closed_port()}", timeout=2))
    with pytest.raises(KctlError, match="cannot reach"):
        fetch_snapshot(dead)


def test_segments_without_admin_url_say_so():
    seg = fetch_partition_segments(None, "t", 0)
    assert seg.rows == () and "admin" in seg.unavailable


def test_reset_mode_parsing():
    assert parse_reset_mode("shift -5").value == -5
    assert parse_reset_mode("earliest").kind == "earliest"
    with pytest.raises(ValueError):
        parse_reset_mode("sideways")
