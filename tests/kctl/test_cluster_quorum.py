"""`kctl cluster quorum`: the metadata quorum from DescribeQuorum, against the real broker
(one voter), with the lag arithmetic checked on a three-voter answer, and the exit codes
for a cluster without the API (9), without Describe on the cluster (6) or unreachable (5)."""

from __future__ import annotations

import json

import pytest

from kctl.commands.cluster import quorum_doc
from kctl.quorum_admin import Quorum, Replica
from tests.kctl.api_filter_proxy import broker_without
from tests.kctl.kctl_cli import Kctl, closed_port, one_error_line
from tests.security.acl_helpers import authz_args


def test_one_voter_leads_with_the_metadata_log_end_as_high_watermark(shared_broker, tmp_path):
    kctl = Kctl(tmp_path, bootstrap=shared_broker.bootstrap)
    r = kctl.run("cluster", "quorum", "-o", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["leader_id"], doc["voters"], doc["observers"]) == (1, [1], [])
    assert doc["leader_epoch"] >= 1 and doc["high_watermark"] > 0
    assert (doc["max_follower_lag"], doc["max_follower_lag_ms"]) == (0, 0)
    [leader] = doc["replicas"]
    assert leader["status"] == "Leader" and leader["log_end_offset"] == doc["high_watermark"]
    assert leader["endpoints"] == [f"PLAINTEXT://{shared_broker.bootstrap}"]
    assert leader["directory_id"] is None and leader["last_fetch_ago_ms"] < 60_000
    table = kctl.run("cluster", "quorum")
    assert table.returncode == 0, table.stderr
    assert "high watermark" in table.stdout and "Leader" in table.stdout


def replica(node: int, status: str, end: int, caught_up: int | None) -> Replica:
    return Replica(node, status, end, caught_up, caught_up, None, [])


def test_lag_is_counted_from_the_leader_log_end():
    q = Quorum(
        leader_id=2,
        leader_epoch=7,
        high_watermark=90,
        replicas=[
            replica(1, "Follower", 80, 9_000),
            replica(2, "Leader", 100, 10_000),
            replica(3, "Follower", -1, None),  # never fetched
            replica(4, "Observer", 10, 1_000),  # observers do not count for the maximum
        ],
    )
    doc = quorum_doc(q, now_ms=10_500)
    assert (doc["voters"], doc["observers"]) == ([1, 2, 3], [4])
    assert [(r["node_id"], r["lag"], r["log_end_offset"]) for r in doc["replicas"]] == [
        (1, 20, 80),
        (2, 0, 100),
        (3, 100, None),
        (4, 90, 10),
    ]
    # the worst voter never caught up: how long it lags is unknown
    assert (doc["max_follower_lag"], doc["max_follower_lag_ms"]) == (100, None)
    assert doc["replicas"][0]["last_caught_up_ago_ms"] == 1_500
    q.replicas.pop(2)
    assert quorum_doc(q, now_ms=10_500)["max_follower_lag_ms"] == 1_000


def test_a_cluster_without_describe_quorum_is_exit_9(tmp_path):
    with broker_without(tmp_path / "old", frozenset({55})) as bootstrap:
        r = Kctl(tmp_path, bootstrap=bootstrap).run("cluster", "quorum")
    assert r.returncode == 9, r.stderr
    line = one_error_line(r)
    assert "the cluster does not support it" in line and "DescribeQuorum" in line


def test_describe_denied_is_exit_6(broker_factory, tmp_path):
    b = broker_factory(*authz_args("User:admin"))
    r = Kctl(tmp_path, bootstrap=b.bootstrap).run("cluster", "quorum")
    assert r.returncode == 6, r.stderr
    assert "authoriz" in one_error_line(r).lower()


@pytest.mark.parametrize("output", ["table", "json"])
def test_an_unreachable_cluster_is_exit_5(tmp_path, output):
    kctl = Kctl(tmp_path, bootstrap=f"127.0.0.1:{closed_port()}")
    r = kctl.run("cluster", "quorum", "-o", output, "--timeout", "2")
    assert r.returncode == 5, r.stderr
    assert r.stdout == ""
    one_error_line(r)
